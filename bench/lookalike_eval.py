#!/usr/bin/env python3
"""Look-alike audiences scored against a generated world's latent affinities (bench/RESULTS.md,
issue 19).

Usage: lookalike_eval.py HOLO DATA WORLD [--category baby] [--seed-share 0.3] [--size N]

A brand's customer list: a random share of the people whose latent top categories
(persons.csv) include CATEGORY, given to `holo lookalike --seed-file` by their phone numbers
(or an app account when they have none). Every other person is then scored; the score's AUC
against the latent label, over the people outside the seed, and the precision of the N best
beside the base rate, are printed with Holo's own estimate. Standard library only.
"""
import csv
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path


def auc(scores, labels):
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2  # ranks i+1..j, ties share their mean
        rank_sum += avg_rank * sum(l for _, l in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def own_share_reference(world, ids_person, persons, category):
    """A reference score that knows who everyone is: each person's share of their own shopping
    events (taobao, tmall, web) in the category. What shopping alone can tell, identity perfect."""
    counts = defaultdict(Counter)
    for src in ("taobao", "tmall", "web"):
        path = Path(world) / f"{src}.jsonl"
        if not path.exists():
            continue
        with open(path) as f:
            for line in f:
                e = json.loads(line)
                p = ids_person.get((f"user_id@{src}", e.get("userId"))) or ids_person.get((f"anonymous_id@{src}", e.get("anonymousId")))
                if p is None:
                    continue
                props = e.get("properties") or {}
                for c in [props.get("category")] + [x.get("category") for x in props.get("products", []) if isinstance(x, dict)]:
                    if c:
                        counts[p][c] += 1
    return {p: (counts[p][category] / sum(counts[p].values()) if counts[p] else 0.0) for p in persons}


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    holo, data, world = args[:3]
    opts = dict(zip(args[3::2], args[4::2]))
    category = opts.get("--category", "baby")
    share = float(opts.get("--seed-share", "0.3"))
    world = Path(world)
    persons = {}
    with open(world / "persons.csv") as f:
        for row in csv.DictReader(f):
            persons[row["person_id"]] = category in row["top_categories"].split("|")
    ids = defaultdict(list)  # person -> [(type, value)]
    with open(world / "truth.csv") as f:
        for row in csv.DictReader(f):
            ids[row["person_id"]].append((row["identifier_type"], row["identifier_value"]))
    positives = sorted(p for p, y in persons.items() if y)
    rng = random.Random(7)
    seed = set(rng.sample(positives, int(share * len(positives))))

    def handle(p):
        for wanted in ("phone", "user_id@taobao", "user_id@alipay"):
            for t, v in ids[p]:
                if t == wanted:
                    return f"{t}:{v}"
        return None

    with tempfile.TemporaryDirectory() as tmp:
        seed_file = Path(tmp) / "seed.txt"
        seed_file.write_text("".join(h + "\n" for h in (handle(p) for p in sorted(seed)) if h))
        # Which OneID is which person: the majority of their identifiers' OneIDs.
        lookup_in = "".join(f"{t},{v}\n" for p in persons for t, v in ids[p])
        out = subprocess.run([holo, "lookup", "--data", data], input=lookup_in, capture_output=True, text=True, check=True).stdout
        votes = defaultdict(Counter)
        value_person = {}
        for p in persons:
            for t, v in ids[p]:
                value_person[(t, v)] = p
        for line in out.splitlines():
            parts = line.rsplit(",", 1)
            if len(parts) != 2 or not parts[1].isdigit():
                continue
            t, v = parts[0].split(",", 1)
            p = value_person.get((t, v))
            if p:
                votes[parts[1]][p] += 1
        # Each person once: the OneID that holds most of their identifiers (the fragments a
        # resolver cannot join, a MAC only the stores saw, say nothing of anyone's taste).
        person_of, held = {}, {}
        for o, c in votes.items():
            p, n = c.most_common(1)[0]
            if n > held.get(p, (0, ""))[0]:
                held[p] = (n, o)
        for p, (n, o) in held.items():
            person_of[o] = p
        outside_pos = sum(1 for p in positives if p not in seed)
        size = int(opts.get("--size", str(outside_pos)))
        scores_file = Path(tmp) / "scores.csv"
        report = json.loads(subprocess.run([holo, "lookalike", "--data", data, "--seed-file", str(seed_file), "--size", str(size),
                                            "--scores", str(scores_file)], capture_output=True, text=True, check=True).stdout)
        scored = []
        with open(scores_file) as f:
            for row in csv.DictReader(f):
                p = person_of.get(row["oneid"])
                if p is None or row["in_seed"] == "1" or p in seed:
                    continue
                scored.append((float(row["score"]), 1 if persons[p] else 0, int(row["oneid"])))
    labels = [y for _, y, _ in scored]
    ids_person = {(t, v): p for p, lst in ids.items() for t, v in lst}
    reference = own_share_reference(world, ids_person, persons, category)
    outside = [p for p in persons if p not in seed]
    ref_auc = auc([reference[p] for p in outside], [1 if persons[p] else 0 for p in outside])
    a = auc([s for s, _, _ in scored], labels)
    best = sorted(scored, key=lambda r: (-r[0], r[2]))[:size]
    precision = sum(y for _, y, _ in best) / max(1, len(best))
    base = sum(labels) / max(1, len(labels))
    print(f"category {category}: {len(positives)} of {len(persons)} persons have it among their latent top 3; "
          f"seed: {len(seed)} of them ({share:.0%}), {report['seed_members']} OneIDs")
    print(f"outside the seed: {len(scored)} persons (each by the OneID holding most of their identifiers), {sum(labels)} with the affinity")
    print(f"AUC of the look-alike score against the latent affinity: {a:.4f}   "
          f"(reference, identity known: each person's own share of shopping in {category}: {ref_auc:.4f})")
    print(f"precision of the best {size}: {precision:.4f}   base rate: {base:.4f}   lift {precision / base if base else float('nan'):.2f}x")
    print(f"holo's own estimate: expected precision {report['expected_precision']} "
          f"(95% range {report.get('expected_precision_range')}), held-out AUC {report['holdout_auc']}, "
          f"base rate {report['base_rate']}, separable {report['seed_separable']}")
    if report.get("warning"):
        print(f"holo's warning: {report['warning']}")
    print("top features: " + ", ".join(f"{t['feature']} ({t['weight']})" for t in report["top_features"][:6]))


if __name__ == "__main__":
    main()
