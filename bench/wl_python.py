# wl_python.py — an allocation-heavy Python program: dict, list and str churn.
#
# Each round builds a dict of records (strings, lists, tuples), drops half of it, joins
# and splits the rest, and keeps a slice in a long-lived cache that is trimmed as it
# grows, so short-lived garbage and survivors of mixed age interleave as in a real
# service. Prints a checksum that depends only on the work, never on addresses.
#
# Usage: python3 wl_python.py [rounds]
import sys


def one_round(rnd, cache):
    records = {}
    for i in range(2000):
        key = f"user:{rnd}:{i}"
        records[key] = [i, str(i) * (i % 7 + 1), (key, i * 3), {"n": i}]
    for i in range(0, 2000, 2):
        del records[f"user:{rnd}:{i}"]
    text = " ".join(rec[1] for rec in records.values())
    words = text.split()
    total = len(text) + sum(len(w) for w in words)
    counts = {}
    for w in words:
        counts[w[:3]] = counts.get(w[:3], 0) + 1
    total += sum(counts.values()) + len(counts)
    for key in list(records)[::50]:
        cache[key] = records[key][1].upper() + key
    if len(cache) > 5000:
        for key in sorted(cache)[:2500]:
            del cache[key]
    return total + len(cache)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    cache = {}
    checksum = 0
    for rnd in range(rounds):
        checksum = (checksum * 31 + one_round(rnd, cache)) % (1 << 61)
    print("checksum", checksum)


main()
