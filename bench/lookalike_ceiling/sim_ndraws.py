#!/usr/bin/env python3
"""How the ceiling grows with the number of independent category draws per person: simulate the
generator's affinity prior (household.cc BuildAffinities) on the real persons' demographics, give every
person exactly n PickCategory draws, score by count of C among them (behaviour only, no demographics)."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import numpy as np
exec(open(os.path.join(HERE, "analyze.py")).read().split("# ---------- descriptive")[0])
src = open(os.path.join(HERE, "analyze.py")).read()
exec(src[src.index("KBASE"):src.index("has_ad = ")])
r = np.random.default_rng(5)
age, fem, inc = demo[:, 0], demo[:, 1], demo[:, 2].astype(int)
tps = tp_prior(age, inc, r.standard_normal(N))
lw = np.log(base_weights(age, fem, inc, tps)) + 0.7 * r.standard_normal((N, 10))
a = np.exp(lw - lw.max(1, keepdims=True)); a /= a.sum(1, keepdims=True)
lab = np.argsort(np.argsort(-a, 1), 1) < 3
print("simulated base rates:", " ".join(f"{CATS[k]} {lab[:, k].mean():.3f}" for k in range(10)))
print("mean affinity of C, label 1 vs 0:", " ".join(f"{CATS[k]} {a[lab[:, k], k].mean():.3f}/{a[~lab[:, k], k].mean():.3f}" for k in (7, 5, 6, 9)))
print("n draws\t" + "\t".join(CATS[k] for k in (7, 5, 6, 9)) + "\t(score: count of C among n draws)")
for n in (1, 2, 3, 5, 10, 20, 50, 200):
    X = np.array([r.multinomial(n, p) for p in a])
    print(n, "\t" + "\t".join(f"{auc(X[:, k] + 1e-6 * r.random(N), lab[:, k]):.3f}" for k in (7, 5, 6, 9)))
