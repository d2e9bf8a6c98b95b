#!/usr/bin/python3
"""recs_reference.py FILE: the reference of recommend_eval's protocol in Python (numpy), so that
Holo's models can be checked side by side in one run (bench/recs_eval.sh, bench/RESULTS.md).

Protocol (src/recommend/evaluate.h): users' interactions in time order, ties kept in file order;
each user with two or more has the latest held out; every item not in the user's training
history is ranked (ties broken by item index, items indexed in order of first appearance);
HR@10 and NDCG@10. Interactions count 1 (implicit).
Models: popularity (users per item), item-kNN (cosine, the 100 nearest per item), EASE
(lambda 100), implicit ALS (Hu, Koren & Volinsky 2008; Holo's defaults: 64 factors, alpha 10,
lambda 1, 10 iterations; confidence 1 + alpha * count) with every vector solved exactly, in
double, and each evaluated user folded in from the item vectors as Holo does (its starting
vectors come from numpy's generator, not Holo's, so the figures agree only closely).
"""
import sys
import time

import numpy as np


def read(path):
    users, items, rows = {}, {}, []
    with open(path) as f:
        for n, line in enumerate(f):
            sep = "\t" if "\t" in line else ","
            parts = [p.strip().strip('"') for p in line.rstrip("\r\n").split(sep)]
            if len(parts) not in (3, 4):
                continue
            try:
                ts = int(float(parts[-1]))
            except ValueError:
                continue  # a header
            u = users.setdefault(parts[0], len(users))
            i = items.setdefault(parts[1], len(items))
            rows.append((u, i, ts, n))
    return len(users), len(items), rows


def split(nu, rows):
    by_user = [[] for _ in range(nu)]
    for u, i, ts, n in rows:
        by_user[u].append((ts, n, i))
    train, held = [], [-1] * nu
    for u, events in enumerate(by_user):
        events.sort()
        seq = [i for _, _, i in events]
        if len(seq) >= 2:
            held[u] = seq[-1]
            seq = seq[:-1]
        train.append(seq)
    return train, held


def evaluate(scores_of, train, held, ni, k=10):
    hr = ndcg = 0.0
    users = 0
    index = np.arange(ni)
    for u, h in enumerate(held):
        if h < 0:
            continue
        users += 1
        s = scores_of(u)
        seen = np.zeros(ni, dtype=bool)
        seen[train[u]] = True
        better = (s > s[h]) | ((s == s[h]) & (index < h))
        better &= ~seen
        better[h] = False
        rank = 1 + int(better.sum())
        if rank <= k:
            hr += 1
            ndcg += 1 / np.log2(rank + 1)
    return hr / users, ndcg / users


def main():
    nu, ni, rows = read(sys.argv[1])
    train, held = split(nu, rows)
    x = np.zeros((nu, ni), dtype=np.float64)
    for u, seq in enumerate(train):
        x[u, seq] = 1.0
    print(f"{sys.argv[1]}: {nu} users, {ni} items, {len(rows)} interactions (reference, numpy {np.__version__})\n")
    print("| model (Python reference) | HR@10 | NDCG@10 | fit s |\n|---|---:|---:|---:|")

    t = time.time()
    pop = x.sum(axis=0).astype(np.float32)
    fit = time.time() - t
    hr, nd = evaluate(lambda u: pop, train, held, ni)
    print(f"| popularity | {hr:.4f} | {nd:.4f} | {fit:.2f} |")

    t = time.time()
    g = x.T @ x
    norm = np.sqrt(np.diag(g))
    sim = g / np.outer(norm, norm).clip(min=1e-12)
    np.fill_diagonal(sim, 0)
    keep = np.zeros_like(sim)
    top = np.argsort(-sim, axis=1, kind="stable")[:, :100]
    rows_idx = np.arange(ni)[:, None]
    keep[rows_idx, top] = sim[rows_idx, top]
    keep = keep.astype(np.float32)
    fit = time.time() - t
    hr, nd = evaluate(lambda u: x[u].astype(np.float32) @ keep, train, held, ni)
    print(f"| itemknn (cosine, 100 neighbours) | {hr:.4f} | {nd:.4f} | {fit:.2f} |")

    t = time.time()
    g = x.T @ x + 100.0 * np.eye(ni)
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    b = b.astype(np.float32)
    fit = time.time() - t
    hr, nd = evaluate(lambda u: x[u].astype(np.float32) @ b, train, held, ni)
    print(f"| ease (lambda 100) | {hr:.4f} | {nd:.4f} | {fit:.2f} |")

    t = time.time()
    y, a0 = implicit_als(train, nu, ni)
    fit = time.time() - t
    hr, nd = evaluate(lambda u: fold_in(y, a0, train[u]), train, held, ni)
    print(f"| als (64 factors, alpha 10, lambda 1, 10 iterations, exact solves) | {hr:.4f} | {nd:.4f} | {fit:.2f} |")


ALS_FACTORS, ALS_ALPHA, ALS_LAMBDA, ALS_ITERATIONS = 64, 10.0, 1.0, 10


def counts(seq):
    items, n = np.unique(np.asarray(seq, dtype=np.int64), return_counts=True)
    return items, n.astype(np.float64)


def solve_side(rows, fixed, n):
    """Each row's vector: (FᵀF + λI + Σ α w f fᵀ) x = Σ (1 + α w) f over the row's entries."""
    f = fixed.shape[1]
    base = fixed.T @ fixed + ALS_LAMBDA * np.eye(f)
    out = np.zeros((n, f))
    for r, (idx, w) in enumerate(rows):
        if len(idx) == 0:
            continue
        fr = fixed[idx]
        extra = ALS_ALPHA * w
        a = base + fr.T @ (extra[:, None] * fr)
        out[r] = np.linalg.solve(a, fr.T @ (1 + extra))
    return out


def implicit_als(train, nu, ni):
    rng = np.random.default_rng(1)
    scale = 0.1 / np.sqrt(ALS_FACTORS)
    x = rng.uniform(-scale, scale, (nu, ALS_FACTORS))
    y = rng.uniform(-scale, scale, (ni, ALS_FACTORS))
    user_rows = [counts(seq) for seq in train]
    by_item = [([], []) for _ in range(ni)]
    for u, (idx, w) in enumerate(user_rows):
        for i, c in zip(idx, w):
            by_item[i][0].append(u)
            by_item[i][1].append(c)
    item_rows = [(np.array(us, dtype=np.int64), np.array(ws)) for us, ws in by_item]
    for _ in range(ALS_ITERATIONS):
        x = solve_side(user_rows, y, nu)
        y = solve_side(item_rows, x, ni)
    return y, y.T @ y + ALS_LAMBDA * np.eye(ALS_FACTORS)


def fold_in(y, a0, seq):
    idx, w = counts(seq)
    fr = y[idx]
    extra = ALS_ALPHA * w
    xu = np.linalg.solve(a0 + fr.T @ (extra[:, None] * fr), fr.T @ (1 + extra))
    return (y @ xu).astype(np.float32)


if __name__ == "__main__":
    main()
