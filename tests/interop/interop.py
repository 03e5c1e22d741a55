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
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# klist -f letters delegsim models (docs/scenario-format.md, ticket_flags); the others
# (T transited-policy-checked, H, D, d, i, a) are not part of the comparison.
COMPARED_FLAGS = "FfPpRIAO"
DELEGSIM_FLAG_LETTERS = {
    "forwardable": "F", "forwarded": "f", "proxiable": "P", "proxy": "p",
    "renewable": "R", "initial": "I", "pre_authent": "A", "ok_as_delegate": "O",
}
# RFC 4120 7.5.9 error codes, named as delegsim names them.
KDC_ERROR_NAMES = {
    6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION", 14: "KDC_ERR_ETYPE_NOTSUPP",
    18: "KDC_ERR_CLIENT_REVOKED", 24: "KDC_ERR_PREAUTH_FAILED",
    26: "KDC_ERR_SERVER_NOMATCH", 28: "KDC_ERR_PATH_NOT_ACCEPTED",
    29: "KDC_ERR_SVC_UNAVAILABLE", 34: "KRB_AP_ERR_REPEAT", 41: "KRB_AP_ERR_MODIFIED",
}
KRB5_ERROR_BASE = -1765328384  # ERROR_TABLE_BASE_krb5: code n of RFC 4120 is BASE + n
COMMAND_TIMEOUT = 30  # seconds, any one command
RUN_TIMEOUT = {"mit": 120, "samba": 280}  # seconds, the whole run (ctest allows 300)


class Unfinished(Exception):
    """The run could not complete: a tool or the provisioning failed (exit 2)."""


# ---------------------------------------------------------------------------------
# Processes: every daemon in its own process group, killed on every exit path.

DAEMONS = []
TEMP_DIRS = []


def stop_daemons():
    while DAEMONS:
        process = DAEMONS.pop()
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass


def cleanup():
    stop_daemons()
    while TEMP_DIRS:
        shutil.rmtree(TEMP_DIRS.pop(), ignore_errors=True)


def on_signal(signum, _frame):
    cleanup()
    if signum == signal.SIGALRM:
        print("interop: the run took longer than its time limit; daemons stopped",
              file=sys.stderr)
        os._exit(2)
    os._exit(128 + signum)


def die_with_parent():
    """In the daemon before exec: SIGKILL when this script dies, even by SIGKILL."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_daemon(argv, env, log_path):
    """Starts a daemon in its own process group; stop_daemons() ends it."""
    log = open(log_path, "wb")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=die_with_parent)
    DAEMONS.append(process)
    return process


def run(argv, env, stdin=None, check=True):
    """Runs a command with a timeout; returns (exit status, stdout, stderr)."""
    try:
        done = subprocess.run(argv, env=env, input=stdin, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Unfinished("timed out after %ds: %s" % (COMMAND_TIMEOUT, " ".join(argv)))
    if check and done.returncode != 0:
        raise Unfinished("%s failed (%d): %s" % (" ".join(argv), done.returncode,
                                                 (done.stderr or done.stdout).strip()))
    return done.returncode, done.stdout, done.stderr


def free_port():
    """A TCP and UDP port free on 127.0.0.1 at the time of asking."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise Unfinished("no free port on 127.0.0.1")


def wait_for_port(port, process, what, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unfinished("%s exited (%d) before listening" % (what, process.returncode))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise Unfinished("%s did not listen on 127.0.0.1:%d within %ds" % (what, port, seconds))


# ---------------------------------------------------------------------------------
# The matrix.

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


# ---------------------------------------------------------------------------------
# The real KDCs. A Realm knows its principals, passwords and keytabs.

class Realm:
    def __init__(self, kind, realm, root):
        self.kind = kind
        self.realm = realm
        self.root = root
        self.domain = realm.lower()
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.pop("KRB5CCNAME", None)
        self.env["KRB5_CONFIG"] = os.path.join(root, "krb5.conf")
        self.env["KRB5_KTNAME"] = os.path.join(root, "none.keytab")
        self.env["KRB5_CLIENT_KTNAME"] = os.path.join(root, "none.keytab")
        self.env["TDB_NO_FSYNC"] = "1"  # Samba's databases: no fsync in a throw-away folder
        self.passwords = {}
        self.unsupported = {}  # matrix attribute -> why this KDC cannot hold it
        self.product = ""
        self.counter = 0
        # The client configuration: the MIT tools, TCP, this KDC only. Forwardable
        # TGTs as a Windows client asks; no proxiable.
        with open(self.env["KRB5_CONFIG"], "w") as f:
            f.write("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n"
                    " dns_lookup_realm = false\n rdns = false\n forwardable = true\n"
                    " proxiable = false\n udp_preference_limit = 1\n"
                    "[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n"
                    % (realm, realm, self.port))

    def fresh(self, name):
        self.counter += 1
        return os.path.join(self.root, "%s-%d" % (name, self.counter))

    def front_spn(self, fe):
        return "http/fe-%s.%s" % (fe["id"], self.domain)

    def back_spn(self):
        return "http/back.%s" % self.domain

    def front_login(self, fe):
        """The principal the front end logs on as (kinit) and accepts GSS as."""
        if self.kind == "mit":
            return "%s@%s" % (self.front_spn(fe), self.realm)
        return "svc-fe-%s@%s" % (fe["id"], self.realm)

    def user_login(self, user):
        return "%s@%s" % (user["id"], self.realm)

    def kinit(self, principal, password):
        ccache = "FILE:" + self.fresh("cc")
        env = dict(self.env, KRB5CCNAME=ccache)
        run(["kinit", "-f", principal], env, stdin=password + "\n")
        return ccache


def provision_mit(matrix, root):
    realm = Realm("mit", matrix["kdcs"]["mit"]["realm"], root)
    env = realm.env
    env["KRB5_KDC_PROFILE"] = os.path.join(root, "kdc.conf")
    with open(env["KRB5_KDC_PROFILE"], "w") as f:
        f.write("[kdcdefaults]\n kdc_listen = 127.0.0.1:%d\n kdc_tcp_listen = 127.0.0.1:%d\n"
                "[realms]\n %s = {\n  database_name = %s/principal\n"
                "  key_stash_file = %s/stash\n  acl_file = %s/kadm5.acl\n"
                "  max_life = 10h\n  max_renewable_life = 7d\n"
                "  default_principal_flags = +preauth\n"
                "  supported_enctypes = aes256-cts-hmac-sha1-96:normal\n }\n"
                "[logging]\n kdc = FILE:%s/kdc.log\n"
                % (realm.port, realm.port, realm.realm, root, root, root, root))
    run(["kdb5_util", "create", "-s", "-r", realm.realm, "-P", "interop-master-key"], env)

    def kadmin(query):
        run(["kadmin.local", "-r", realm.realm, "-q", query], env)
        # kadmin.local exits 0 even when a query fails; a failed query shows later.

    for user in matrix["users"]:
        if "mit" not in user.get("kdcs", ["mit"]):
            continue
        password = "pw-%s-1234" % user["id"]
        realm.passwords[realm.user_login(user)] = password
        kadmin("addprinc -pw %s %s" % (password, user["id"]))
        if user.get("sensitive"):
            kadmin("modprinc -allow_forwardable %s" % user["id"])
    principals = [(realm.front_spn(fe), fe) for fe in matrix["front_ends"]]
    principals.append((realm.back_spn(), None))
    for spn, fe in principals:
        password = "pw-%s-1234" % spn.replace("/", "-")
        realm.passwords["%s@%s" % (spn, realm.realm)] = password
        kadmin("addprinc -pw %s %s" % (password, spn))
        if fe and fe.get("trusted_for_delegation"):
            kadmin("modprinc +ok_as_delegate %s" % spn)
        if fe and fe.get("trusted_to_auth_for_delegation"):
            kadmin("modprinc +ok_to_auth_as_delegate %s" % spn)
        kadmin("ktadd -k %s/%s.keytab -norandkey %s"
               % (root, spn.replace("/", "-"), spn))
    realm.unsupported["allowed_to_delegate_to"] = (
        "the db2 KDB has no check_allowed_to_delegate method, so MIT cannot store "
        "allowed-to-delegate-to (only the LDAP KDB's krbAllowedToDelegateTo)")
    _, out, _ = run(["krb5-config", "--version"], env, check=False)
    realm.product = "%s, %s" % (matrix["kdcs"]["mit"]["product"], out.strip() or "MIT krb5")
    daemon = start_daemon(["krb5kdc", "-n"], env, os.path.join(root, "krb5kdc.out"))
    wait_for_port(realm.port, daemon, "krb5kdc", 20)
    return realm


def provision_samba(matrix, root):
    spec = matrix["kdcs"]["samba"]
    realm = Realm("samba", spec["realm"], root)
    env = realm.env
    target = os.path.join(root, "samba")
    kpasswd_port = free_port()
    started = time.monotonic()
    # One provision per run (the slow part). Only the KDC service, only 127.0.0.1,
    # every state, lock, pid and log file in the temporary folder.
    options = {
        "interfaces": "127.0.0.1", "bind interfaces only": "yes",
        "server services": "kdc", "krb5 port": str(realm.port),
        "kpasswd port": str(kpasswd_port), "pid directory": target + "/run",
        "log file": target + "/log.%m", "winbindd socket directory": target + "/winbindd",
        "ntp signd socket directory": target + "/ntp_signd",
    }
    argv = ["samba-tool", "domain", "provision", "--realm=" + realm.realm,
            "--domain=" + realm.realm.split(".")[0], "--server-role=dc",
            "--dns-backend=NONE", "--adminpass=Interop-Admin-1234!",
            "--targetdir=" + target, "--host-name=dc1", "--host-ip=127.0.0.1"]
    argv += ["--option=%s=%s" % kv for kv in options.items()]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=200)
    except subprocess.TimeoutExpired:
        raise Unfinished("samba-tool domain provision took more than 200 s")
    if done.returncode != 0:
        raise Unfinished("samba-tool domain provision failed: %s"
                         % (done.stdout + done.stderr).strip()[-2000:])
    realm.provision_seconds = time.monotonic() - started
    smb_conf = os.path.join(target, "etc", "smb.conf")
    os.makedirs(target + "/run", exist_ok=True)

    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    import ldb  # noqa: E402  (python3-samba)
    from samba.auth import system_session
    from samba.param import LoadParm
    from samba.samdb import SamDB
    lp = LoadParm()
    lp.load(smb_conf)
    db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
    users_dn = "CN=Users," + str(db.domain_dn())
    # userAccountControl bits (MS-ADTS 2.2.16).
    normal, no_expiry = 0x200, 0x10000
    trusted, not_delegated, trusted_to_auth = 0x80000, 0x100000, 0x1000000

    def account(name, password, uac, spns=(), a2d2=()):
        db.newuser(name, password)
        message = ldb.Message()
        message.dn = ldb.Dn(db, "CN=%s,%s" % (name, users_dn))
        message["userAccountControl"] = ldb.MessageElement(
            str(uac | normal | no_expiry), ldb.FLAG_MOD_REPLACE, "userAccountControl")
        if spns:
            message["servicePrincipalName"] = ldb.MessageElement(
                list(spns), ldb.FLAG_MOD_ADD, "servicePrincipalName")
            # AES service tickets (Samba's default for accounts without it is RC4).
            message["msDS-SupportedEncryptionTypes"] = ldb.MessageElement(
                "24", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
        if a2d2:
            message["msDS-AllowedToDelegateTo"] = ldb.MessageElement(
                list(a2d2), ldb.FLAG_MOD_ADD, "msDS-AllowedToDelegateTo")
        db.modify(message)
        found = db.search(base=message.dn, scope=ldb.SCOPE_BASE,
                          attrs=["msDS-KeyVersionNumber"])
        return int(found[0]["msDS-KeyVersionNumber"][0])

    for user in matrix["users"]:
        if "samba" not in user.get("kdcs", ["samba"]):
            continue
        password = "Pw-%s-1234!" % user["id"]
        realm.passwords[realm.user_login(user)] = password
        account(user["id"], password, not_delegated if user.get("sensitive") else 0)
        if user.get("protected_users"):
            db.add_remove_group_members("Protected Users", [user["id"]],
                                        add_members_operation=True)
    keytab_lines = []

    def keys(name, principals, password, kvno):
        for principal in principals:
            keytab_lines.append((principal, name, password, kvno))

    for fe in matrix["front_ends"]:
        name = "svc-fe-%s" % fe["id"]
        password = "Pw-%s-1234!" % name
        uac = (trusted if fe.get("trusted_for_delegation") else 0) | (
            trusted_to_auth if fe.get("trusted_to_auth_for_delegation") else 0)
        a2d2 = [realm.back_spn() for _ in fe.get("allowed_to_delegate_to", [])]
        kvno = account(name, password, uac, [realm.front_spn(fe)], a2d2)
        realm.passwords["%s@%s" % (name, realm.realm)] = password
        keys(name, [realm.front_login(fe)], password, kvno)
    kvno = account("svc-back", "Pw-svc-back-1234!", 0, [realm.back_spn()])
    keys("svc-back", ["%s@%s" % (realm.back_spn(), realm.realm)], "Pw-svc-back-1234!", kvno)
    db = None
    # Keytabs: the accounts' AES keys, salted as AD salts user accounts (REALM + name).
    for principal, name, password, kvno in keytab_lines:
        path = os.path.join(root, "%s.keytab" % principal.split("@")[0].replace("/", "-"))
        script = "addent -password -p %s -k %d -e aes256-cts-hmac-sha1-96 -s %s%s\n%s\nwkt %s\n" % (
            principal, kvno, realm.realm, name, password, path)
        run(["ktutil"], env, stdin=script)
    _, out, _ = run(["samba", "-V"], env, check=False)
    realm.product = "%s, %s (provisioned in %.0f s)" % (
        spec["product"], out.strip(), realm.provision_seconds)
    daemon = start_daemon(["samba", "-i", "-M", "single", "-s", smb_conf], env,
                          os.path.join(root, "samba.out"))
    wait_for_port(realm.port, daemon, "samba (kdc service)", 60)
    return realm


# ---------------------------------------------------------------------------------
# Asking the real KDC.

class ErrorNames:
    """KDC error names from the messages MIT's tools print (gss_probe errors)."""

    def __init__(self, probe, env):
        _, out, _ = run([probe, "errors"], env)
        self.by_message = []
        for line in out.splitlines():
            code, _, message = line.partition("\t")
            code = int(code)
            if code in KDC_ERROR_NAMES:
                self.by_message.append((message, KDC_ERROR_NAMES[code]))
        self.by_message.sort(key=lambda item: -len(item[0]))

    def from_text(self, text):
        for message, name in self.by_message:
            if message in text:
                return name
        return "ERROR(%s)" % text.strip().splitlines()[-1][:120] if text.strip() else "ERROR"

    @staticmethod
    def from_code(code, text):
        n = code - KRB5_ERROR_BASE
        if code and 0 <= n < 128:
            return KDC_ERROR_NAMES.get(n, "KRB5_ERROR_%d" % n)
        return "ERROR(%s)" % text[-120:]


def letters(flags):
    return "".join(c for c in COMPARED_FLAGS if c in flags)


def ticket(tickets, client, server):
    for t in tickets:
        if t["client"].lower() == client.lower() and t["server"].lower() == server.lower():
            return t
    return None


def list_tickets(probe, realm, ccache):
    _, out, _ = run([probe, "list", ccache], realm.env)
    return json.loads(out)


def ask_real(realm, rows, probe, errors):
    observed = {}
    back = "%s@%s" % (realm.back_spn(), realm.realm)
    back_keytab = os.path.join(realm.root, "%s.keytab" % realm.back_spn().replace("/", "-"))
    for user, fe, op in rows:
        rid = row_id(user, fe, op)
        login = realm.user_login(user)
        if op == "tgt":
            ccache = realm.kinit(login, realm.passwords[login])
            t = ticket(list_tickets(probe, realm, ccache), login, "krbtgt/%s@%s"
                       % (realm.realm, realm.realm))
            observed[rid] = {"verdict": "allowed", "error": "", "flags": letters(t["flags"])}
            continue
        front = realm.front_login(fe)
        if op == "service_ticket":
            ccache = realm.kinit(login, realm.passwords[login])
            spn = "%s@%s" % (realm.front_spn(fe), realm.realm)
            code, _, err = run(["kvno", spn], dict(realm.env, KRB5CCNAME=ccache), check=False)
            t = ticket(list_tickets(probe, realm, ccache), login, spn) if code == 0 else None
            observed[rid] = outcome(code, err, t, errors)
            continue
        front_ccache = realm.kinit(front, realm.passwords[front])
        env = dict(realm.env, KRB5CCNAME=front_ccache)
        if op == "s4u2self":
            code, _, err = run(["kvno", "-U", user["id"], front], env, check=False)
            t = ticket(list_tickets(probe, realm, front_ccache), login, front) if code == 0 else None
            observed[rid] = outcome(code, err, t, errors)
            continue
        if op == "s4u2proxy":
            code, _, err = run(["kvno", "-U", user["id"], "-P", back], env, check=False)
            t = ticket(list_tickets(probe, realm, front_ccache), login, back) if code == 0 else None
            observed[rid] = outcome(code, err, t, errors)
            continue
        # A GSS hop: user -> front end -> back end.
        user_ccache = realm.kinit(login, realm.passwords[login])
        front_keytab = os.path.join(realm.root, "%s.keytab"
                                    % front.split("@")[0].replace("/", "-"))
        store = "FILE:" + realm.fresh("delegated")
        argv = [probe, "hop", "--user-ccache", user_ccache, "--front", front,
                "--front-keytab", front_keytab, "--front-ccache", front_ccache,
                "--back", back, "--back-keytab", back_keytab,
                "--deleg", "none" if op == "gss_no_deleg" else "always",
                "--mutual", "no" if op == "gss_deleg_no_mutual" else "yes",
                "--store", store]
        _, out, _ = run(argv, realm.env)
        observed[rid] = gss_outcome(json.loads(out), login, back)
    return observed


def outcome(code, stderr, t, errors):
    if code != 0:
        return {"verdict": "denied", "error": errors.from_text(stderr), "flags": ""}
    if t is None:
        return {"verdict": "allowed", "error": "", "flags": "?"}
    return {"verdict": "allowed", "error": "", "flags": letters(t["flags"])}


def gss_outcome(result, login, back):
    if "setup_error" in result:
        raise Unfinished("gss_probe could not acquire credentials: " + result["setup_error"])
    first = result["front"]
    if not first["ok"]:
        return {"verdict": "denied", "error": ErrorNames.from_code(first["code"], first["error"]),
                "flags": "", "forwarded_tgt": "no"}
    before = result.get("delegated_before", [])
    forwarded = any(t["client"].lower() == login.lower() and t["server"].startswith("krbtgt/")
                    for t in before)
    second = result.get("back")
    if second is None:
        return {"verdict": "denied", "error": "DOWNSTREAM_NO_CREDS", "flags": "",
                "forwarded_tgt": "yes" if forwarded else "no"}
    if not second["ok"]:
        return {"verdict": "denied", "error": ErrorNames.from_code(second["code"], second["error"]),
                "flags": "", "forwarded_tgt": "yes" if forwarded else "no"}
    if second["client"].lower() != login.lower():
        return {"verdict": "denied", "error": "WRONG_IDENTITY(%s)" % second["client"],
                "flags": "", "forwarded_tgt": "yes" if forwarded else "no"}
    t = ticket(result.get("delegated_after", []), login, back)
    return {"verdict": "allowed", "error": "", "flags": letters(t["flags"]) if t else "?",
            "forwarded_tgt": "yes" if forwarded else "no"}


# ---------------------------------------------------------------------------------
# Asking delegsim: one scenario with a step per row.

# Operations delegsim cannot express yet, and the field they need (issue 12 part 1).
NOT_EXPRESSIBLE = {
    "tgt": "an expectation on the initiator's TGT (its flags and the AS exchange's error)",
    "s4u2self": "an explicit s4u2self operation and an expectation on its ticket",
}


def step_name(user, fe, op):
    return "%s.%s.%s" % (user["id"], fe["id"], op)


def scenario_for(matrix, kdc, realm_name, rows):
    spec = matrix["kdcs"][kdc]
    domain = realm_name.lower()
    hosts = [{"name": "ws1", "domain": realm_name}, {"name": "back-host", "domain": realm_name}]
    accounts, services, steps = [], [], []
    protected = []
    for user in matrix["users"]:
        if kdc not in user.get("kdcs", [kdc]):
            continue
        account = {"name": user["id"], "domain": realm_name,
                   "password": "pw-%s" % user["id"]}
        if user.get("sensitive"):
            account["sensitive"] = True
        if user.get("protected_users"):
            protected.append(user["id"])
        accounts.append(account)
    back_spn = "http/back.%s" % domain
    for fe in matrix["front_ends"]:
        account = {"name": "svc-fe-%s" % fe["id"], "type": "service", "domain": realm_name,
                   "spns": ["http/fe-%s.%s" % (fe["id"], domain)]}
        for key in ("trusted_for_delegation", "trusted_to_auth_for_delegation"):
            if fe.get(key):
                account[key] = True
        if fe.get("allowed_to_delegate_to"):
            account["allowed_to_delegate_to"] = [back_spn]
        accounts.append(account)
        hosts.append({"name": "fe-%s-host" % fe["id"], "domain": realm_name})
        services.append({"name": "fe-%s" % fe["id"], "host": "fe-%s-host" % fe["id"],
                         "account": "svc-fe-%s" % fe["id"]})
    accounts.append({"name": "svc-back", "type": "service", "domain": realm_name,
                     "spns": [back_spn]})
    services.append({"name": "back", "host": "back-host", "account": "svc-back"})
    for user, fe, op in rows:
        if op in NOT_EXPRESSIBLE:
            continue
        step = {"name": step_name(user, fe, op), "user": user["id"], "from": "ws1",
                "call": "fe-%s" % fe["id"]}
        if op == "service_ticket":
            step.update({"package": "kerberos", "level": "impersonate"})
        elif op == "s4u2proxy":
            # The front end signs the user in itself (no Kerberos from the user), then
            # S4U2self + S4U2proxy to the back end: kvno -U USER -P BACK.
            step.update({"package": "forms", "level": "impersonate",
                         "then": [{"call": "back", "package": "kerberos",
                                   "level": "impersonate", "protocol_transition": True}]})
        else:
            # MIT's GSS client: GSS_C_DELEG_FLAG forwards the TGT whenever it is
            # forwardable (client_policy mit) and drops delegation silently otherwise.
            step.update({"package": "kerberos",
                         "level": "impersonate" if op == "gss_no_deleg" else "delegate",
                         "mutual": op != "gss_deleg_no_mutual",
                         "ignore_delegate_failure": True,
                         "then": [{"call": "back", "package": "kerberos",
                                   "level": "impersonate"}]})
        steps.append(step)
    domain_spec = {"name": realm_name}
    if spec.get("functional_level"):
        domain_spec["functional_level"] = spec["functional_level"]
    scenario = {
        "name": "interop-%s" % kdc,
        "description": "tests/interop: the matrix rows asked of the real %s" % spec["product"],
        "profile": spec["profile"], "seed": 12,
        "options": {"client_policy": "mit"},
        "domains": [domain_spec], "hosts": hosts, "accounts": accounts,
        "services": services, "steps": steps,
    }
    if protected:
        scenario["groups"] = [{"name": "Protected Users", "domain": realm_name,
                               "members": protected}]
    return scenario


def ask_delegsim(matrix, kdc, realm_name, rows, delegsim, root):
    path = os.path.join(root, "interop-%s.json" % kdc)
    with open(path, "w") as f:
        json.dump(scenario_for(matrix, kdc, realm_name, rows), f, indent=1)
    code, out, err = run([delegsim, "run", path, "--json", "--runtime", "virtual"],
                         dict(os.environ), check=False)
    if code not in (0, 1):
        raise Unfinished("delegsim run %s failed (%d): %s" % (path, code, err.strip()))
    hops = {hop["path"]: hop for hop in json.loads(out)["hops"]}
    observed = {}
    for user, fe, op in rows:
        rid = row_id(user, fe, op)
        if op in NOT_EXPRESSIBLE:
            observed[rid] = {"not_expressible": NOT_EXPRESSIBLE[op]}
            continue
        base = "%s/fe-%s" % (step_name(user, fe, op), fe["id"])
        first = hops.get(base)
        if first is None:
            raise Unfinished("delegsim reported no hop %s" % base)
        if op == "service_ticket":
            observed[rid] = sim_outcome(first)
            continue
        second = hops.get(base + "/back")
        result = sim_outcome(second if (first["verdict"] == "allowed" and second) else first)
        if first["verdict"] == "allowed" and second is None:
            result = {"verdict": "denied", "error": "DOWNSTREAM_NO_CREDS", "flags": ""}
        if op.startswith("gss"):
            result["forwarded_tgt"] = "yes" if first.get("net_creds") == "tgt" else "no"
        observed[rid] = result
    return observed


def sim_outcome(hop):
    flags = "".join(DELEGSIM_FLAG_LETTERS.get(name, "")
                    for name in (hop.get("ticket_flags") or "").split(","))
    allowed = hop["verdict"] == "allowed"
    return {"verdict": hop["verdict"], "error": "" if allowed else hop.get("error", ""),
            "flags": letters(flags) if allowed else "",
            "decided_by": hop.get("decided_by", "")}


# ---------------------------------------------------------------------------------
# Comparing.

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
    for field in ("verdict", "error", "forwarded_tgt"):
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


def compare(kdc, rows, real, sim, known, product):
    agree, listed, unexplained = 0, 0, 0
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
        if "forwarded_tgt" in r:
            shown += " tgt-forwarded=%s" % r["forwarded_tgt"]
            if "forwarded_tgt" in s:
                other += " tgt-forwarded=%s" % s["forwarded_tgt"]
        diffs = differences(r, s)
        if not diffs:
            agree += 1
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
            unexplained += 1
            print("%-40s %-9s %s | %s" % (rid, "DIFFERS", shown, other))
            for m in missing:
                print("    unexplained: %s" % m)
        else:
            listed += 1
            print("%-40s %-9s %s | %s" % (rid, "known", shown, other))
        for reason in reasons:
            print("    known: %s" % reason)
    return agree, listed, unexplained


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kdc", choices=["mit", "samba"], required=True)
    parser.add_argument("--delegsim", default="")
    parser.add_argument("--probe", required=True)
    parser.add_argument("--known", default=os.path.join(HERE, "known-differences.tsv"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--real-only", action="store_true",
                        help="print the real KDC's answers as JSON; do not run delegsim")
    args = parser.parse_args()

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
    root = tempfile.mkdtemp(prefix="delegsim-interop-%s-" % args.kdc)
    if args.keep:
        print("interop: keeping %s" % root)
    else:
        TEMP_DIRS.append(root)

    started = time.monotonic()
    matrix = load_matrix()
    known = load_known(args.known)
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
    except Unfinished as e:
        print("interop %s: did not complete: %s" % (args.kdc, e), file=sys.stderr)
        return 2
    finally:
        stop_daemons()
    agree, listed, unexplained = compare(args.kdc, rows, real, sim, known, realm.product)
    not_expressible = sum(1 for rid in sim if "not_expressible" in sim[rid])
    stale = [e for e in known if not e["used"] and fnmatch.fnmatchcase(args.kdc, e["kdc"])]
    for entry in stale:
        print("note: known-differences.tsv:%d (%s %s %s) matched no difference in this run; "
              "remove it if the behaviour now agrees" % (entry["line"], entry["kdc"],
                                                        entry["row"], entry["field"]))
    total = len(rows)
    print("AGREEMENT %s: %d/%d rows agree (%.0f%%); %d differ as listed in "
          "known-differences.tsv (%d of them not expressible yet); %d unexplained; "
          "%d real-KDC requests answered in %.1f s; whole run %.1f s"
          % (args.kdc, agree, total, 100.0 * agree / total, listed, not_expressible,
             unexplained, total, asked, time.monotonic() - started))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
