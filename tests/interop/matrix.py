"""The interop matrix (matrix.json): its rows and the ticket flags compared."""

import json
import os


HERE = os.path.dirname(os.path.abspath(__file__))
COMPARED_FLAGS = "FfPpRIAO"


def load_matrix():
    with open(os.path.join(HERE, "matrix.json")) as f:
        return json.load(f)


def rows_for(matrix, kdc):
    """Row ids USER/FRONT/OPERATION (FRONT is '-' for operations of the user alone)."""
    rows = []
    users = [u for u in matrix["users"] if kdc in u.get("kdcs", [kdc])]
    for user in users:
        for op in matrix["operations"]:
            if not op.get("per_front_end", True):
                rows.append((user, None, op["id"]))
                continue
            for fe in matrix["front_ends"]:
                rows.append((user, fe, op["id"]))
    return rows


def row_id(user, fe, op):
    return "%s/%s/%s" % (user["id"], fe["id"] if fe else "-", op)


def letters(flags):
    return "".join(c for c in COMPARED_FLAGS if c in flags)
