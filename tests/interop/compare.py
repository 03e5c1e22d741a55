"""Comparing the real KDC's answers with delegsim's, row by row, and explaining
every difference by a line of known-differences.tsv."""

import fnmatch

from kdcs import Unfinished
from matrix import COMPARED_FLAGS, row_id, rows_for


def load_known(path, matrix):
    """The lines of known-differences.tsv. Every problem of the file is reported at once,
    each as FILE:LINE: a line needs 4 tab-separated fields, a known kdc, a known field,
    and a row glob that matches some row of the matrix for that kdc."""
    rows = {kdc: [row_id(*row) for row in rows_for(matrix, kdc)] for kdc in matrix["kdcs"]}
    fields = set(DECISION_FIELDS) | {"flag:" + c for c in COMPARED_FLAGS} | {"*"}
    known, problems = [], []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Unfinished("%s: %s" % (path, e.strerror))
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = "%s:%d: " % (path, number)
        parts = line.split("\t")
        if len(parts) != 4 or not all(p.strip() for p in parts):
            problems.append(where + "expected 4 tab-separated fields: kdc, row, field, reason")
            continue
        kdc, row, field, reason = parts
        kdcs = [k for k in rows if fnmatch.fnmatchcase(k, kdc)]
        if not kdcs:
            problems.append(where + "kdc '%s' is none of %s or *" % (kdc, ", ".join(rows)))
        elif not any(fnmatch.fnmatchcase(r, row) for k in kdcs for r in rows[k]):
            problems.append(where + "row '%s' matches no row of the matrix" % row)
        if field not in fields:
            problems.append(where + "field '%s' is none of %s" % (field, ", ".join(sorted(fields))))
        known.append({"kdc": kdc, "row": row, "field": field, "reason": reason,
                      "line": number, "used": False})
    if problems:
        raise Unfinished("\n".join(problems))
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
