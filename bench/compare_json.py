#!/usr/bin/env python3
"""Compares two JSON Lines files value by value, numbers as exact decimals.

    python3 bench/compare_json.py A.jsonl B.jsonl

Numbers are read as decimal.Decimal (never floats), so 41.0000 equals 41 and
0.13 differs from 0.13000000000000001. Objects must have the same keys in the
same order. Prints the first difference (line, path, both values) and exits 1,
or prints how many lines agree and exits 0.
"""

import json
import sys
from decimal import Decimal


def load(line):
    return json.loads(line, parse_float=Decimal, parse_int=Decimal)


def diff(a, b, path):
    """The path of the first difference between a and b, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path} (keys {list(a)} vs {list(b)})"
        for k in a:
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is not type(b) or a != b:
        return f"{path} ({a!r} vs {b!r})"
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    n = 0
    with open(sys.argv[1], encoding="utf-8") as fa, open(sys.argv[2], encoding="utf-8") as fb:
        while True:
            la, lb = fa.readline(), fb.readline()
            if not la and not lb:
                break
            n += 1
            if not la or not lb:
                print(f"line {n}: one file ends early", file=sys.stderr)
                return 1
            d = diff(load(la), load(lb), "$")
            if d:
                print(f"line {n}: differ at {d}", file=sys.stderr)
                return 1
    print(f"{n} lines agree (numbers compared as decimals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
