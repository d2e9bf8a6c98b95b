#!/usr/bin/env python3
"""Ceilings for 'category C among latent top-3' from per-person event features (feats.npz).
(a) share scores, (b) Bayes posterior under the generator's own model (Monte Carlo),
(c) supervised logistic regression (train half / test half)."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import sys
import numpy as np

CATS = ["apparel", "beauty", "electronics", "food", "home", "luxury", "sports", "baby", "books", "travel"]
d = np.load(OUT + "/feats.npz")
cnt, sess, second, expo, misc, Y, demo, has_app = (d[k] for k in
    ("cnt", "sess", "second", "expo", "misc", "labels", "demo", "has_app"))
N = len(Y)
CAMP_CAT = np.array([1, 6, 2, 0, 3, 4, 7, 5])            # catalog.cc kCampaigns
CAMP_DUR = np.array([0.45, 0.5, 0.45, 0.4, 0.3, 0.7, 0.5, 0.6])


def auc(s, y):
    s = np.asarray(s, float); y = np.asarray(y, bool)
    order = np.argsort(s, kind="mergesort")
    ss = s[order]
    ranks = np.empty(len(s))
    i = 0
    # average ranks for ties
    uniq, idx, counts = np.unique(ss, return_index=True, return_counts=True)
    r = idx + (counts + 1) / 2.0
    ranks[order] = np.repeat(r, counts)
    pos = y.sum(); neg = len(y) - pos
    return (ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg)


# ---------- descriptive ----------
prod_events = cnt.sum(axis=1)                      # all product/topic events by category (N,10)
camp_events = np.zeros((N, 10))
for k in range(8):
    camp_events[:, CAMP_CAT[k]] += expo[:, k, :].sum(1)
all_events = prod_events + camp_events
draws = sess + second + cnt[:, 6] + cnt[:, 7]        # independent PickCategory draws (approx.)
shop = cnt[:, :6].sum(1) + cnt[:, 6]                 # taobao/tmall/web product events (reference)


def q(x):
    return "mean %.2f, median %d, p10 %d, p90 %d, zero %.1f%%" % (x.mean(), np.median(x), np.percentile(x, 10),
                                                                  np.percentile(x, 90), 100 * (x == 0).mean())


print("per person: category-bearing events (product+topic):", q(prod_events.sum(1)))
print("per person: + promotion events:", q(all_events.sum(1)))
print("per person: independent category draws (sessions+2nd items+web product pages+weibo topics):", q(draws.sum(1)))
print("per person: shopping sessions:", q(sess.sum(1)))


def share(m):
    t = m.sum(1, keepdims=True)
    return np.where(t > 0, m / np.maximum(t, 1), 0.0)


# ---------- (c) logistic regression ----------
def logreg(Xtr, ytr, Xte, lam=1.0, iters=30):
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-9
    Xtr = np.hstack([np.ones((len(Xtr), 1)), (Xtr - mu) / sd]); Xte = np.hstack([np.ones((len(Xte), 1)), (Xte - mu) / sd])
    w = np.zeros(Xtr.shape[1]); R = lam * np.eye(len(w)); R[0, 0] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xtr @ w))
        g = Xtr.T @ (p - ytr) + R @ w
        H = (Xtr * (p * (1 - p))[:, None]).T @ Xtr + R
        step = np.linalg.solve(H, g); w -= step
        if np.abs(step).max() < 1e-6:
            break
    return Xte @ w


age, fem, inc, tp = demo[:, 0], demo[:, 1], demo[:, 2].astype(int), demo[:, 3]
D = np.column_stack([fem, (age >= 24) & (age <= 38), age < 25, age > 55, age, *(inc == k for k in range(1, 6))]).astype(float)
lp = np.log1p
B = np.column_stack([lp(sess), lp(second), lp(cnt[:, 6]), lp(cnt[:, 7]), lp(cnt[:, 1]), lp(cnt[:, 2] + cnt[:, 3]),
                     lp(expo[:, :, 0]), lp(expo[:, :, 1]), share(draws), share(all_events),
                     lp(misc[:, :3]), lp(draws.sum(1)), lp(sess.sum(1)), has_app.astype(float)])
rng = np.random.default_rng(0)
perm = rng.permutation(N); tr, te = perm[: N // 2], perm[N // 2:]

# ---------- (b) Bayes posterior under the generator's model ----------
KBASE = np.array([1.2, 0.8, 1.0, 1.2, 0.8, 0.15, 0.7, 0.25, 0.5, 0.3])
KLUX = np.array([0.1, 0.3, 1.0, 3.0, 6.0])


def base_weights(age, fem, inc, tp):
    """household.cc BuildAffinities, without the exp(0.7 N) noise. Vectorised over persons/samples."""
    w = np.tile(KBASE, (len(age), 1)).astype(float)
    f = fem.astype(bool)
    w[f, 1] *= 3.0; w[f, 0] *= 1.4; w[f, 2] *= 0.6; w[f, 6] *= 0.8
    w[~f, 1] *= 0.2; w[~f, 2] *= 1.7; w[~f, 6] *= 1.4
    w[(age >= 24) & (age <= 38), 7] *= 3.0
    w[age < 25, 8] *= 1.8; w[age < 25, 5] *= 0.5
    w[age > 55, 4] *= 1.5; w[age > 55, 3] *= 1.3; w[age > 55, 2] *= 0.6
    w[:, 5] *= KLUX[inc - 1]
    w[:, 9] *= 0.5 + 2.0 * tp
    return w


def tp_prior(age, inc, n):
    return np.clip(0.05 + 0.1 * inc + 0.15 * n + np.where((age >= 22) & (age <= 40), 0.1, 0.0), 0, 1)


has_ad = has_app[:, [0, 1, 6, 7]].any(1)
shop_rate = 1.35 * has_app[:, 0] + 0.8 * has_app[:, 1]
hotels = misc[:, 1]
has_fliggy = has_app[:, 5]


def bayes(mode, S=4000, B=25, seed=1):
    """mode 'flat': demographics unknown (prior = population mixture); 'demo': age, gender, income
    known (travel_propensity still latent); 'oracle_tp': travel_propensity known too."""
    r = np.random.default_rng(seed)
    post = np.zeros((N, 10)); ess = np.zeros(N)
    ev_v = expo[:, :, 0].astype(float); ev_c = expo[:, :, 1].astype(float)
    for s0 in range(0, N, B):
        idx = np.arange(s0, min(N, s0 + B)); b = len(idx)
        z = r.standard_normal((S, 10)); act = 0.85 * np.exp(0.55 * r.standard_normal(S)); nt = r.standard_normal(S)
        if mode == "flat":
            src = r.integers(0, N, S)  # demographics of random population members
            tps = tp_prior(age[src], inc[src], nt)
            base = np.broadcast_to(base_weights(age[src], fem[src], inc[src], tps), (b, S, 10))
            tps = np.broadcast_to(tps, (b, S))
        else:
            A = np.repeat(age[idx], S); F = np.repeat(fem[idx], S); I = np.repeat(inc[idx], S)
            tps = np.repeat(tp[idx], S) if mode == "oracle_tp" else tp_prior(A, I, np.tile(nt, b))
            base = base_weights(A, F, I, tps).reshape(b, S, 10); tps = tps.reshape(b, S)
        lw = np.log(base) + 0.7 * z[None]
        lw -= lw.max(-1, keepdims=True)
        a = np.exp(lw); a /= a.sum(-1, keepdims=True)                     # (b,S,10) affinities
        la = np.log(a)
        ll = np.einsum("bc,bsc->bs", draws[idx].astype(float), la)          # categorical draws
        ac = a[:, :, CAMP_CAT]                                               # (b,S,8)
        lam = 0.55 * CAMP_DUR * (0.3 + 6 * ac) * (0.5 + 0.5 * act)[None, :, None]
        qk = np.minimum(0.4, 0.03 + 1.5 * ac)
        ll += has_ad[idx, None] * (np.einsum("bk,bsk->bs", ev_v[idx], np.log(lam)) - lam.sum(-1))
        ll += np.einsum("bk,bsk->bs", ev_c[idx], np.log(qk)) + np.einsum("bk,bsk->bs", ev_v[idx] - ev_c[idx], np.log1p(-qk))
        ns = sess[idx].sum(1).astype(float); rate = shop_rate[idx]
        ll += ns[:, None] * np.log(act)[None] - rate[:, None] * act[None]   # session count -> activity
        lh = 0.8 * (0.15 + tps)                                              # hotels -> travel propensity
        ll += has_fliggy[idx, None] * (hotels[idx, None] * np.log(lh) - lh)
        ll -= ll.max(1, keepdims=True)
        wt = np.exp(ll); wt /= wt.sum(1, keepdims=True)
        ess[idx] = 1 / (wt ** 2).sum(1)
        rank = np.argsort(np.argsort(-a, -1), -1)                           # 0 = largest
        top3 = rank < 3
        post[idx] = np.einsum("bs,bsc->bc", wt, top3)
    return post, ess


results = {}
modes = sys.argv[1:] or ["flat", "demo", "oracle_tp"]
for m in modes:
    post, ess = bayes(m)
    print(f"bayes[{m}] ESS median {np.median(ess):.0f}, p10 {np.percentile(ess, 10):.0f}")
    results["bayes_" + m] = post
    np.save(f"{OUT}/post_{m}.npy", post)

rows = []
for c, name in enumerate(CATS):
    y = Y[:, c]
    r = {"cat": name, "base": y.mean()}
    r["share_shop"] = auc(share(cnt[:, :7].sum(1))[:, c], y)
    r["share_all"] = auc(share(all_events)[:, c], y)
    r["share_draws"] = auc(share(draws)[:, c], y)
    for m in modes:
        r["B_" + m] = auc(results["bayes_" + m][:, c], y)
        r["B_" + m + "_te"] = auc(results["bayes_" + m][te, c], y[te])
    r["LR_beh"] = auc(logreg(B[tr], y[tr], B[te]), y[te])
    r["LR_demo"] = auc(logreg(D[tr], y[tr], D[te]), y[te])
    r["LR_beh+demo"] = auc(logreg(np.hstack([B, D])[tr], y[tr], np.hstack([B, D])[te]), y[te])
    rows.append(r)
keys = list(rows[0].keys())
print("\t".join(keys))
for r in rows:
    print("\t".join(r[k] if isinstance(r[k], str) else f"{r[k]:.3f}" for k in keys))
