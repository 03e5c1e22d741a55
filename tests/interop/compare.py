"""Comparing the real KDC's answers with delegsim's, row by row, and explaining
every difference by a line of known-differences.tsv."""

import fnmatch

from kdcs import Unfinished
from matrix import COMPARED_FLAGS, row_id


def load_known(path):
    known = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or not all(p.strip() for p in parts):
                raise Unfinished("%s:%d: expected 4 tab-separated fields: kdc, row, field, "
                                 "reason" % (path, number))
            known.append({"kdc": parts[0], "row": parts[1], "field": parts[2],
                          "reason": parts[3], "line": number, "used": False})
    return known


def differences(real, sim):
    """The fields of one row that differ: [(field, real value, delegsim value)]."""
    if "not_expressible" in sim:
        return [("*", "asked", "not expressible yet: needs " + sim["not_expressible"])]
    out = []
    for field in DECISION_FIELDS:
        if field in real and real[field] != sim.get(field, ""):
            out.append((field, real[field], sim.get(field, "")))
    for flag in COMPARED_FLAGS:
        r, s = flag in real["flags"], flag in sim["flags"]
        if r != s:
            out.append(("flag:" + flag, "set" if r else "clear", "set" if s else "clear"))
    return out


def explain(kdc, rid, field, known):
    for entry in known:
        if fnmatch.fnmatchcase(kdc, entry["kdc"]) and fnmatch.fnmatchcase(rid, entry["row"]) \
                and fnmatch.fnmatchcase(field, entry["field"]):
            entry["used"] = True
            return entry
    return None


DECISION_FIELDS = ("verdict", "error", "refused_at", "forwarded_tgt")


def compare(kdc, rows, real, sim, known, product):
    """Prints every row; returns the counts: {"agree": rows agreeing on every field,
    "decisions": expressible rows agreeing on the decision fields (flags aside),
    "expressible", "listed": rows whose differences are all explained,
    "unexplained"}."""
    counts = dict.fromkeys(("agree", "decisions", "expressible", "listed", "unexplained"), 0)
    print("interop %s: %s" % (kdc, product))
    print("%-40s %-9s %s" % ("row", "result", "real KDC | delegsim"))
    for user, fe, op in rows:
        rid = row_id(user, fe, op)
        r, s = real[rid], sim[rid]
        shown = "%s %s %s" % (r["verdict"], r["error"] or "-", r["flags"] or "-")
        if "not_expressible" in s:
            other = "not expressible"
        else:
            other = "%s %s %s%s" % (s["verdict"], s["error"] or "-", s["flags"] or "-",
                                    " [%s]" % s["decided_by"] if s.get("decided_by") else "")
        for field in ("refused_at", "forwarded_tgt"):
            if r.get(field):
                shown += " %s=%s" % (field, r[field])
            if s.get(field):
                other += " %s=%s" % (field, s[field])
        diffs = differences(r, s)
        if "not_expressible" not in s:
            counts["expressible"] += 1
            if not any(field in DECISION_FIELDS for field, _, _ in diffs):
                counts["decisions"] += 1
        if not diffs:
            counts["agree"] += 1
            print("%-40s %-9s %s | %s" % (rid, "agree", shown, other))
            continue
        reasons, missing = [], []
        for field, real_value, sim_value in diffs:
            entry = explain(kdc, rid, field, known)
            if entry:
                if entry["reason"] not in reasons:
                    reasons.append(entry["reason"])
            else:
                missing.append("%s: real %s, delegsim %s" % (field, real_value, sim_value))
        if missing:
            counts["unexplained"] += 1
            print("%-40s %-9s %s | %s" % (rid, "DIFFERS", shown, other))
            for m in missing:
                print("    unexplained: %s" % m)
        else:
            counts["listed"] += 1
            print("%-40s %-9s %s | %s" % (rid, "known", shown, other))
        for reason in reasons:
            print("    known: %s" % reason)
    return counts
