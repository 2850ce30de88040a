# SPDX-License-Identifier: MIT
"""py_workload.py - a python3 workload for the libleak benchmarks: build dicts of records,
round-trip them through json, index and aggregate them. Run with PYTHONMALLOC=malloc so every
object allocation goes through malloc. Usage: python3 py_workload.py [SCALE]."""
import json
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 30000

records = []
for i in range(scale):
    records.append({
        "id": i,
        "name": "user-%d" % i,
        "email": "user%d@example.org" % i,
        "tags": ["t%d" % (i % 7), "g%d" % (i % 13)],
        "score": (i * 7919) % 1000 / 10.0,
        "meta": {"created": 1700000000 + i, "active": i % 3 != 0},
    })

text = json.dumps(records)
decoded = json.loads(text)

by_tag = {}
for r in decoded:
    for t in r["tags"]:
        by_tag.setdefault(t, []).append(r["id"])

totals = {}
for r in decoded:
    key = r["name"][-2:]
    totals[key] = totals.get(key, 0.0) + r["score"]

words = {}
for r in decoded:
    for part in r["email"].split("@"):
        words[part] = words.get(part, 0) + 1

again = json.loads(json.dumps({"by_tag": by_tag, "totals": totals}))
print(len(records), len(again["by_tag"]), len(totals), len(words))
