#!/usr/bin/env python3
"""Supervised ceiling with behaviour + behaviour-derived demographic proxies (proxies.npz),
plus the Bayes posteriors saved by analyze.py, and a few cross-checks."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import numpy as np, sys
sys.argv = [sys.argv[0], "none"]
src = open(os.path.join(HERE, "analyze.py")).read()
src = src.split("# ---------- (b) Bayes")[0]          # reuse loading, auc, logreg, features B and D
exec(src)
P = np.load(OUT + "/proxies.npz"); X = P["X"]; cols = list(P["cols"])
c = {k: i for i, k in enumerate(cols)}
pq_mean = np.where(X[:, c["pq_n"]] > 0, X[:, c["pq_sum"]] / np.maximum(X[:, c["pq_n"]], 1), 0)
prox = np.column_stack([pq_mean, X[:, c["pq_n"]] > 0, np.log1p(X[:, c["salary_max"]]), X[:, c["salary_max"]] > 0,
                        np.log1p(np.delete(X, [c["pq_sum"], c["pq_n"], c["salary_max"]], axis=1))])
# the income tier is what matters for luxury: how well do proxies reveal it?
from numpy.linalg import lstsq
A = np.hstack([np.ones((N, 1)), prox])
fit = A @ lstsq(A[tr], inc[tr], rcond=None)[0]
print("income tier from behaviour proxies: R^2 on test half %.3f" % (1 - ((fit[te] - inc[te]) ** 2).sum() / ((inc[te] - inc[te].mean()) ** 2).sum()))
print("gender from proxies AUC %.3f" % auc(logreg(np.hstack([B, prox])[tr], fem[tr], np.hstack([B, prox])[te]), fem[te]))
print("age 24-38 from proxies AUC %.3f" % auc(logreg(np.hstack([B, prox])[tr], ((age >= 24) & (age <= 38))[tr], np.hstack([B, prox])[te]), ((age >= 24) & (age <= 38))[te]))
BP = np.hstack([B, prox])
print("cat\tbase\tLR_beh\tLR_beh+proxies\tLR_beh+demo\tB_flat\tB_demo\tB_oracle_tp")
post = {m: np.load(f"{OUT}/post_{m}.npy") for m in ("flat", "demo", "oracle_tp")}
for k, name in enumerate(CATS):
    y = Y[:, k]
    vals = [y.mean(), auc(logreg(B[tr], y[tr], B[te]), y[te]), auc(logreg(BP[tr], y[tr], BP[te]), y[te]),
            auc(logreg(np.hstack([BP, D])[tr], y[tr], np.hstack([BP, D])[te]), y[te])] + \
           [auc(post[m][te, k], y[te]) for m in ("flat", "demo", "oracle_tp")]
    print(name + "\t" + "\t".join(f"{v:.3f}" for v in vals))
