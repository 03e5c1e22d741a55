#!/usr/bin/python3
"""Real KDCs as a test oracle: one KDC of matrix.json against delegsim, row by row.

    interop.py --kdc mit|samba --delegsim PATH --probe PATH [--keep]

Provisions a real KDC in a temporary folder, listening on a free port of 127.0.0.1
only (MIT krb5kdc with a db2 database, or a Samba AD DC running only its KDC
service), makes the principals of matrix.json, asks it every row with the MIT client
tools (kinit, kvno -U / -P, gss_probe), then runs the same rows through
`delegsim run --json` under the matching profile and compares verdict, error and
ticket flags. A difference listed in known-differences.tsv (kdc, row, field,
reason) is expected; any other difference fails. Prints every row and the agreement
figures. The daemon is started and killed by this script (process group, on every
exit path), every command is bounded by a timeout and the whole run by an alarm.

Exit status: 0 all rows agree or differ as listed, 1 an unexplained difference,
2 the run could not complete (provisioning or a tool failed), 77 skipped (the
KDC's packages are missing; scripts/setup.sh installs them).

Must run under Debian's /usr/bin/python3: the Samba provisioning uses its
python3-samba bindings.
"""

import argparse
import atexit
import fnmatch
import json
import os
import shutil
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # never leave __pycache__ in the source tree
from compare import compare, load_known  # noqa: E402
from kdcs import (TEMP_DIRS, Unfinished, cleanup, on_signal, provision_mit,  # noqa: E402
                  provision_samba, stop_daemons)
from matrix import HERE, load_matrix, rows_for  # noqa: E402
from real import ErrorNames, ask_real  # noqa: E402
from simulated import ask_delegsim  # noqa: E402


RUN_TIMEOUT = {"mit": 120, "samba": 280}  # seconds, the whole run (ctest allows 300)


def remove_orphans():
    """Removes the folders of earlier runs that were killed (SIGKILL leaves no chance to
    clean up; their daemons died with them): those whose owner process is gone."""
    parent = tempfile.gettempdir()
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        if not name.startswith("delegsim-interop-") or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, "owner.pid")) as f:
                os.kill(int(f.read().strip()), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            pass  # not ours, or being created: leave it


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kdc", choices=["mit", "samba"])
    parser.add_argument("--delegsim", default="")
    parser.add_argument("--probe", default="")
    parser.add_argument("--known", default=os.path.join(HERE, "known-differences.tsv"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--check-known", action="store_true",
                        help="only check known-differences.tsv against the matrix")
    parser.add_argument("--real-only", action="store_true",
                        help="print the real KDC's answers as JSON; do not run delegsim")
    args = parser.parse_args()
    started = time.monotonic()
    matrix = load_matrix()
    try:
        known = load_known(args.known, matrix)
    except Unfinished as e:
        print("interop: %s" % e, file=sys.stderr)
        return 2
    if args.check_known:
        print("interop: %s: %d lines, each matches rows of the matrix" % (args.known, len(known)))
        return 0
    if not args.kdc or not args.probe or not (args.delegsim or args.real_only):
        parser.error("--kdc and --probe are needed, and --delegsim unless --real-only")

    tools = {"mit": ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno", "ktutil"],
             "samba": ["samba", "samba-tool", "kinit", "kvno", "ktutil"]}[args.kdc]
    missing = [t for t in tools if shutil.which(t) is None and
               not os.path.exists("/usr/sbin/" + t)]
    if missing:
        print("interop %s: skipped, missing %s (scripts/setup.sh installs them)"
              % (args.kdc, ", ".join(missing)))
        return 77
    if args.kdc == "samba" and os.geteuid() != 0:
        print("interop samba: skipped, a Samba AD DC must run as root")
        return 77
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, on_signal)
    atexit.register(cleanup)
    signal.alarm(RUN_TIMEOUT[args.kdc])
    remove_orphans()
    root = tempfile.mkdtemp(prefix="delegsim-interop-%s-" % args.kdc)
    with open(os.path.join(root, "owner.pid"), "w") as f:
        f.write(str(os.getpid()))
    if args.keep:
        print("interop: keeping %s" % root)
    else:
        TEMP_DIRS.append(root)

    rows = rows_for(matrix, args.kdc)
    try:
        realm = (provision_mit if args.kdc == "mit" else provision_samba)(matrix, root)
        errors = ErrorNames(args.probe, realm.env)
        asked = time.monotonic()
        real = ask_real(realm, rows, args.probe, errors)
        asked = time.monotonic() - asked
        if args.real_only:
            print(json.dumps({"product": realm.product, "seconds": asked, "rows": real},
                             indent=1))
            return 0
        sim = ask_delegsim(matrix, args.kdc, realm.realm, rows, args.delegsim, root)
    except (Unfinished, OSError, ValueError, KeyError) as e:
        print("interop %s: did not complete: %s" % (args.kdc, e), file=sys.stderr)
        return 2
    finally:
        stop_daemons()
    counts = compare(args.kdc, rows, real, sim, known, realm.product)
    not_expressible = len(rows) - counts["expressible"]
    stale = [e for e in known if not e["used"] and fnmatch.fnmatchcase(args.kdc, e["kdc"])]
    for entry in stale:
        print("note: known-differences.tsv:%d (%s %s %s) matched no difference in this run; "
              "remove it if the behaviour now agrees" % (entry["line"], entry["kdc"],
                                                        entry["row"], entry["field"]))
    total = len(rows)
    print("AGREEMENT %s: %d/%d rows agree on decision and ticket flags (%.0f%%); "
          "decisions alone %d/%d of the rows delegsim can express; %d rows differ as "
          "listed in known-differences.tsv (%d of them not expressible yet); "
          "%d unexplained" % (args.kdc, counts["agree"], total,
                              100.0 * counts["agree"] / total, counts["decisions"],
                              counts["expressible"], counts["listed"], not_expressible,
                              counts["unexplained"]))
    print("TIME %s: %s; %d rows asked in %.1f s; whole run %.1f s"
          % (args.kdc, realm.product, total, asked, time.monotonic() - started))
    return 1 if counts["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
