"""The real KDCs of the interop tests: provisioning, daemons, commands.

A Realm is one provisioned KDC (MIT krb5kdc with a db2 database, or a Samba AD DC
running only its KDC service) in a temporary folder, on a free port of 127.0.0.1 only,
with the principals, passwords and keytabs of matrix.json. Daemons run in their own
process group and die with this process (PR_SET_PDEATHSIG); stop_daemons() ends them
on every exit path. Every command runs with a timeout.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time


COMMAND_TIMEOUT = 30  # seconds, any one command


class Unfinished(Exception):
    """The run could not complete: a tool or the provisioning failed (exit 2)."""


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
        self.daemon = None  # the KDC process, once started
        self.daemon_log = ""
        # The client configuration: the MIT tools, TCP, this KDC only. Forwardable
        # TGTs as a Windows client asks; no proxiable.
        with open(self.env["KRB5_CONFIG"], "w") as f:
            f.write("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n"
                    " dns_lookup_realm = false\n rdns = false\n forwardable = true\n"
                    " proxiable = false\n udp_preference_limit = 1\n"
                    "[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n"
                    % (realm, realm, self.port))

    def check_alive(self):
        """Raises Unfinished when the KDC has exited: its rows would be meaningless."""
        if self.daemon is not None and self.daemon.poll() is not None:
            with open(self.daemon_log, errors="replace") as f:
                tail = "".join(f.readlines()[-10:])
            raise Unfinished("the %s KDC exited (%d) during the run; its output ends:\n%s"
                             % (self.kind, self.daemon.returncode, tail))

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
    realm.daemon_log = os.path.join(root, "krb5kdc.out")
    daemon = start_daemon(["krb5kdc", "-n"], env, realm.daemon_log)
    wait_for_port(realm.port, daemon, "krb5kdc", 20)
    realm.daemon = daemon
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
    realm.daemon_log = os.path.join(root, "samba.out")
    daemon = start_daemon(["samba", "-i", "-M", "single", "-s", smb_conf], env,
                          realm.daemon_log)
    wait_for_port(realm.port, daemon, "samba (kdc service)", 60)
    realm.daemon = daemon
    return realm
