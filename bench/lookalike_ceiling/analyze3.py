#!/usr/bin/env python3
"""Check whether a non-linear use of the behaviour proxies beats the linear LR: stage 1 predicts the
demographic cells that drive the prior (income tier, gender, age bands) from behaviour; stage 2 is LR on
behaviour + those predicted probabilities + their products with the category's own evidence."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import numpy as np, sys
exec(open(os.path.join(HERE, "analyze2.py")).read().split("BP = np.hstack")[0].split("# the income tier")[0])
BP = np.hstack([B, prox])
# stage 1 on the train half only (out-of-fold for train rows via 2-fold within train)
targets = [fem.astype(bool), (age >= 24) & (age <= 38), age < 25, age > 55] + [inc == k for k in range(1, 6)]
def oof(t):
    out = np.zeros(N)
    h = len(tr) // 2; a, b = tr[:h], tr[h:]
    out[a] = logreg(BP[b], t[b], BP[a]); out[b] = logreg(BP[a], t[a], BP[b]); out[te] = logreg(BP[tr], t[tr], BP[te])
    return 1 / (1 + np.exp(-out))
Dhat = np.column_stack([oof(t.astype(float)) for t in targets])
print("cat\tLR_beh+proxies\tLR_2stage\tLR_2stage+inter")
for k, name in enumerate(CATS):
    y = Y[:, k]
    ev = np.column_stack([share(draws)[:, k], share(all_events)[:, k], np.log1p(draws[:, k])] +
                         [np.log1p(expo[:, j, :].sum(1)) for j in range(8) if CAMP_CAT[j] == k])
    F1 = np.hstack([BP, Dhat]); F2 = np.hstack([F1, (Dhat[:, :, None] * ev[:, None, :]).reshape(N, -1), Dhat ** 2])
    print(name + "\t" + "\t".join(f"{auc(logreg(F[tr], y[tr], F[te]), y[te]):.3f}" for F in (BP, F1, F2)))
