#!/usr/bin/env python3
"""Writes mutated copies of the library scenarios, to compare two builds' loader messages.

  scripts/mutate_scenarios.py OUT_DIR [--per-file N] [--seed S]
  for f in OUT_DIR/*.json; do old/delegsim validate "$f"; done > old.txt 2>&1  # then new, diff

Each mutation is one of: a field deleted, a value of the wrong type, a name made unknown
(misspelt or replaced), an array element duplicated, a duplicate key or a cut-off text.
The same seed always writes the same files.
"""
import argparse
import copy
import glob
import json
import os
import random


def walk(node, path=()):
    """Yields (path, value) for every value of the document."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def mutate(doc, rng):
    """One mutation of a copy of `doc`: (new document or text, description)."""
    doc = copy.deepcopy(doc)
    values = list(walk(doc))
    kind = rng.choice(["delete", "type", "name", "misspell", "duplicate", "dupkey", "cut"])
    if kind in ("delete", "type", "name", "misspell"):
        if kind == "delete":
            cands = [(p, v) for p, v in values if p and isinstance(get(doc, p[:-1]), dict)]
        elif kind in ("name", "misspell"):
            cands = [(p, v) for p, v in values if p and isinstance(v, str) and v]
        else:
            cands = [(p, v) for p, v in values if p]
        if not cands:
            return None
        path, value = rng.choice(cands)
        parent = get(doc, path[:-1])
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "name":
            parent[path[-1]] = rng.choice(["nosuch", "NOSUCH.EXAMPLE", "x\\nosuch", "a@NOWHERE"])
        elif kind == "misspell":
            i = rng.randrange(len(value))
            parent[path[-1]] = value[:i] + value[i + 1:] if len(value) > 1 else value + "z"
        else:
            swaps = {str: 12, int: "12", bool: "yes", float: [], list: "x", dict: 7,
                     type(None): {}}
            parent[path[-1]] = swaps[type(value)]
        return doc, f"{kind} {list(path)}"
    if kind == "duplicate":
        cands = [(p, v) for p, v in values if isinstance(v, list) and v]
        if not cands:
            return None
        path, value = rng.choice(cands)
        value.append(copy.deepcopy(rng.choice(value)))
        return doc, f"duplicate {list(path)}"
    text = json.dumps(doc, indent=2)
    if kind == "dupkey":
        lines = text.split("\n")
        keyed = [i for i, l in enumerate(lines) if l.strip().startswith('"') and '":' in l]
        if not keyed:
            return None
        i = rng.choice(keyed)
        line = lines[i].rstrip(",")
        lines.insert(i, line + ",")
        return "\n".join(lines), f"dupkey line {i + 1}"
    cut = rng.randrange(1, len(text))
    return text[:cut], f"cut at {cut}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--per-file", type=int, default=8)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--scenarios", default=os.path.join(os.path.dirname(__file__), "..",
                                                        "scenarios"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for src in sorted(glob.glob(os.path.join(args.scenarios, "*.json"))):
        with open(src) as f:
            doc = json.load(f)
        base = os.path.splitext(os.path.basename(src))[0]
        for n in range(args.per_file):
            m = mutate(doc, rng)
            if m is None:
                continue
            out, what = m
            text = out if isinstance(out, str) else json.dumps(out, indent=2)
            with open(os.path.join(args.out, f"{base}.m{n}.json"), "w") as f:
                f.write(text)
            written += 1
    print(f"{written} mutated scenarios in {args.out}")


if __name__ == "__main__":
    main()
