#!/usr/bin/env python3
"""Behaviour-derived proxies of the demographics that drive the affinity prior (income, gender,
age): product price quantiles, alipay salary / merchant spend / family card, youku genres,
weibo/eleme/amap activity, shipping-name honorifics. Output: $OUT/proxies.npz"""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import csv, json, math
import numpy as np

W = os.environ.get("WORLD", "/tmp/holo-recs-world/world").rstrip("/") + "/"
CATS = ["apparel", "beauty", "electronics", "food", "home", "luxury", "sports", "baby", "books", "travel"]
PRICE = {"apparel": (59, 899), "beauty": (49, 1299), "electronics": (99, 9999), "food": (9, 199), "home": (29, 4999),
         "luxury": (2999, 49999), "sports": (79, 1599), "baby": (39, 599), "books": (15, 159), "travel": (199, 6999)}
GENRES = ["drama", "movie", "anime", "documentary", "variety", "sports"]
persons = [r["person_id"] for r in csv.DictReader(open(W + "persons.csv"))]
PI = {p: i for i, p in enumerate(persons)}
N = len(persons)
idmap = {}
for r in csv.DictReader(open(W + "truth.csv")):
    t = r["identifier_type"]
    if r["person_id"] in PI and (t.startswith("user_id@") or t.startswith("anonymous_id@")):
        idmap[(t, r["identifier_value"])] = PI[r["person_id"]]
# columns
COLS = ["pq_sum", "pq_n", "salary_max", "merchant_n", "merchant_logamt", "family_card_n", "transfer_n", "utility_n",
        "weibo_posts", "eleme_orders", "eleme_logrev", "amap_trips", "miss", "mister", "order_logrev", "minigame"] + \
       ["genre_" + g for g in GENRES]
C = {c: i for i, c in enumerate(COLS)}
X = np.zeros((N, len(COLS)))


def who(src, e):
    p = idmap.get((f"user_id@{src}", e.get("userId")))
    return p if p is not None else idmap.get((f"anonymous_id@{src}", e.get("anonymousId")))


def pq(prod, src):
    c = prod.get("category"); pr = prod.get("price")
    if c not in PRICE or not pr:
        return None
    lo, hi = PRICE[c]
    if src == "tmall":
        pr = (pr + 0.1) / 1.1
    return min(1, max(0, math.log(max(pr, lo) / lo) / math.log(hi / lo)))


for src in ("taobao", "tmall", "web", "alipay", "youku", "weibo", "eleme", "amap", "minigame"):
    for line in open(W + src + ".jsonl"):
        e = json.loads(line)
        p = who(src, e)
        if p is None:
            continue
        ev = e.get("event"); props = e.get("properties") or {}
        if src in ("taobao", "tmall", "web") and ev in ("Product Viewed", "Product Added", "Order Completed"):
            prods = props.get("products") or [props]
            for x in prods:
                v = pq(x, src)
                if v is not None:
                    X[p, C["pq_sum"]] += v; X[p, C["pq_n"]] += 1
            if ev == "Order Completed":
                X[p, C["order_logrev"]] += math.log1p(props.get("revenue", 0))
                name = (props.get("shipping_address") or {}).get("name", "")
                if name.endswith("女士"): X[p, C["miss"]] += 1
                if name.endswith("先生"): X[p, C["mister"]] += 1
        elif src == "alipay" and ev in ("Payment Made", "Payment Received"):
            ct = props.get("counterparty_type"); amt = props.get("amount", 0)
            if ct == "employer":
                X[p, C["salary_max"]] = max(X[p, C["salary_max"]], amt)
            elif ct == "merchant":
                X[p, C["merchant_n"]] += 1; X[p, C["merchant_logamt"]] += math.log1p(amt)
            elif ct == "family_card":
                X[p, C["family_card_n"]] += 1
            elif ct == "person":
                X[p, C["transfer_n"]] += 1
            elif ct == "utility":
                X[p, C["utility_n"]] += 1
        elif src == "youku" and ev == "Video Content Playing":
            g = props.get("genre")
            if g in GENRES: X[p, C["genre_" + g]] += 1
        elif src == "weibo" and ev == "Post Created":
            X[p, C["weibo_posts"]] += 1
        elif src == "eleme" and ev == "Order Completed":
            X[p, C["eleme_orders"]] += 1; X[p, C["eleme_logrev"]] += math.log1p(props.get("revenue", 0))
            name = (props.get("shipping_address") or {}).get("name", "")
            if name.endswith("女士"): X[p, C["miss"]] += 1
            if name.endswith("先生"): X[p, C["mister"]] += 1
        elif src == "amap" and ev == "Trip Completed":
            X[p, C["amap_trips"]] += 1
        elif src == "minigame" and ev == "Team Joined":
            X[p, C["minigame"]] += 1
np.savez(OUT + "/proxies.npz", X=X, cols=np.array(COLS))
print("done", X.sum(0).round(1).tolist())
