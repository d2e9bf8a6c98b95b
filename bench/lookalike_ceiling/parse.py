#!/usr/bin/env python3
"""Join the world's category-bearing events to persons via truth.csv and build per-person
feature arrays. Output: $OUT/feats.npz"""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp/lal-ceiling")
os.makedirs(OUT, exist_ok=True)
import csv, json, sys
from collections import defaultdict
import numpy as np

W = os.environ.get("WORLD", "/tmp/holo-recs-world/world").rstrip("/") + "/"
CATS = ["apparel", "beauty", "electronics", "food", "home", "luxury", "sports", "baby", "books", "travel"]
CI = {c: i for i, c in enumerate(CATS)}
TOPICS = {"#OOTD#": 0, "#AutumnFashion#": 0, "#MakeupTutorial#": 1, "#SkincareRoutine#": 1,
          "#NewPhone#": 2, "#TechReview#": 2, "#Foodie#": 3, "#MidAutumnFestival#": 3,
          "#HomeDecor#": 4, "#SmartHome#": 4, "#LuxuryHaul#": 5, "#FashionWeek#": 5,
          "#Marathon#": 6, "#NBA#": 6, "#Parenting#": 7, "#BabyCare#": 7,
          "#BookClub#": 8, "#Reading#": 8, "#TravelDiary#": 9, "#NationalDayTrip#": 9}
CAMP = {}  # campaign name -> (index, category index)
with open(W + "campaigns.csv") as f:
    for i, r in enumerate(csv.DictReader(f)):
        CAMP[r["campaign"]] = (i, CI[r["category"]])
NCAMP = len(CAMP)

persons, rows = [], []
with open(W + "persons.csv") as f:
    for r in csv.DictReader(f):
        persons.append(r["person_id"]); rows.append(r)
PI = {p: i for i, p in enumerate(persons)}
N = len(persons)
idmap = {}
has_app = np.zeros((N, 12), bool)
APPS = ["taobao", "tmall", "alipay", "eleme", "amap", "fliggy", "youku", "weibo", "minigame", "web"]
with open(W + "truth.csv") as f:
    for r in csv.DictReader(f):
        t = r["identifier_type"]
        if r["person_id"] not in PI:
            continue
        if t.startswith("user_id@") or t.startswith("anonymous_id@"):
            idmap[(t, r["identifier_value"])] = PI[r["person_id"]]
        if t.startswith("user_id@"):
            a = t.split("@")[1]
            if a in APPS:
                has_app[PI[r["person_id"]], APPS.index(a)] = True

KINDS = ["search", "view", "cart", "order", "wish", "review", "webview", "topic"]
K = {k: i for i, k in enumerate(KINDS)}
cnt = np.zeros((N, len(KINDS), 10), np.int32)        # events by kind and category
sess = np.zeros((N, 10), np.int32)                   # shopping sessions by session category
second = np.zeros((N, 10), np.int32)                 # second order items (independent draws)
expo = np.zeros((N, NCAMP, 2), np.int32)             # promotion viewed / clicked per campaign
misc = np.zeros((N, 4), np.int32)                    # flights, hotels, roaming orders, unmatched
EV = {"Products Searched": "search", "Product Viewed": "view", "Product Added": "cart",
      "Product Added to Wishlist": "wish", "Product Reviewed": "review"}


def who(src, e):
    p = idmap.get((f"user_id@{src}", e.get("userId")))
    if p is None:
        p = idmap.get((f"anonymous_id@{src}", e.get("anonymousId")))
    return p


unmatched = 0
for src in ("taobao", "tmall", "web", "weibo", "youku", "fliggy"):
    per = defaultdict(list)
    with open(W + src + ".jsonl") as f:
        for line in f:
            e = json.loads(line)
            p = who(src, e)
            if p is None:
                unmatched += 1
                continue
            ev = e.get("event") or ("page" if e["type"] == "page" else "")
            props = e.get("properties") or {}
            if ev in ("Promotion Viewed", "Promotion Clicked"):
                ci, _ = CAMP[props["campaign"]]
                expo[p, ci, 0 if ev == "Promotion Viewed" else 1] += 1
                per[p].append((e["timestamp"], ev, None))
            elif ev == "Post Created":
                for t in props.get("topics", []):
                    if t in TOPICS:
                        cnt[p, K["topic"], TOPICS[t]] += 1
            elif ev == "Flight Booked":
                misc[p, 0] += 1
            elif ev == "Hotel Booked":
                misc[p, 1] += 1
            elif src == "web":
                if ev == "page" and props.get("path", "").startswith("/product/wb"):
                    cnt[p, K["webview"], int(props["path"][len("/product/wb")])] += 1
            elif ev in EV:
                c = CI[props["category"]]
                cnt[p, K[EV[ev]], c] += 1
                per[p].append((e["timestamp"], ev, c))
            elif ev == "Order Completed":
                prods = props.get("products", [])
                for j, x in enumerate(prods):
                    if x.get("product_id", "").startswith("roaming-"):
                        misc[p, 2] += 1
                        continue
                    c = CI[x["category"]]
                    cnt[p, K["order"], c] += 1
                    if j == 1:
                        second[p, c] += 1
    if src in ("taobao", "tmall"):
        # sessionise: a view/search opens a new session after a >15 min gap or a category change;
        # a view within 100 s after a Promotion Clicked is the click's landing view (campaign's).
        from datetime import datetime
        for p, evs in per.items():
            evs.sort()
            cur, last_t, last_click = None, None, None
            for ts, ev, c in evs:
                t = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
                if ev == "Promotion Clicked":
                    last_click = t
                    continue
                if ev == "Promotion Viewed":
                    continue
                if ev == "Product Viewed" and last_click is not None and 0 <= t - last_click <= 100:
                    last_click = None
                    continue  # landing view
                if ev == "Products Searched" or (ev == "Product Viewed" and (cur is None or c != cur or t - last_t > 900)):
                    sess[p, c] += 1
                    cur = c
                if ev != "Product Reviewed":
                    last_t = t
misc[:, 3] = 0
print("unmatched events", unmatched, file=sys.stderr)
labels = np.zeros((N, 10), bool)
demo = np.zeros((N, 5))
for i, r in enumerate(rows):
    for c in r["top_categories"].split("|"):
        labels[i, CI[c]] = True
    demo[i] = [int(r["age"]), r["gender"] == "F", int(r["income_tier"]), float(r["travel_propensity"]), 0]
np.savez(OUT + "/feats.npz", cnt=cnt, sess=sess, second=second, expo=expo, misc=misc,
         labels=labels, demo=demo, has_app=has_app)
print("persons", N, "sessions", sess.sum(), "events by kind", dict(zip(KINDS, cnt.sum(axis=(0, 2)).tolist())),
      "exposures", expo.sum(axis=(0, 1)).tolist(), "flights/hotels/roaming", misc.sum(0)[:3].tolist())
