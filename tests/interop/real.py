"""Asking a real KDC every row, with kinit, kvno and gss_probe."""

import json
import os

from kdcs import Unfinished, run
from matrix import letters, row_id


KDC_ERROR_NAMES = {
    6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION", 14: "KDC_ERR_ETYPE_NOTSUPP",
    18: "KDC_ERR_CLIENT_REVOKED", 24: "KDC_ERR_PREAUTH_FAILED",
    26: "KDC_ERR_SERVER_NOMATCH", 28: "KDC_ERR_PATH_NOT_ACCEPTED",
    29: "KDC_ERR_SVC_UNAVAILABLE", 34: "KRB_AP_ERR_REPEAT", 41: "KRB_AP_ERR_MODIFIED",
}

KRB5_ERROR_BASE = -1765328384  # ERROR_TABLE_BASE_krb5: code n of RFC 4120 is BASE + n


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
        realm.check_alive()
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
                "--deleg", {"gss_no_deleg": "none", "gss_deleg_policy": "policy"}.get(op, "always"),
                "--mutual", "no" if op == "gss_deleg_no_mutual" else "yes",
                "--store", store]
        _, out, _ = run(argv, realm.env)
        observed[rid] = gss_outcome(json.loads(out), login, back)
    realm.check_alive()
    for rid, answer in observed.items():
        if "Cannot contact any KDC" in answer.get("error", ""):
            raise Unfinished("row %s: the KDC did not answer: %s" % (rid, answer["error"]))
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
    if "store_error" in result:
        raise Unfinished("gss_probe could not keep the delegated credential: "
                         + result["store_error"])
    first = result["front"]
    if not first["ok"]:
        return {"verdict": "denied", "error": ErrorNames.from_code(first["code"], first["error"]),
                "flags": "", "forwarded_tgt": "no", "refused_at": "front"}
    before = result.get("delegated_before", [])
    forwarded = any(t["client"].lower() == login.lower() and t["server"].startswith("krbtgt/")
                    for t in before)
    second = result.get("back")
    onward = {"forwarded_tgt": "yes" if forwarded else "no", "refused_at": "back"}
    if second is None:
        return dict(onward, verdict="denied", error="DOWNSTREAM_NO_CREDS", flags="")
    if not second["ok"]:
        return dict(onward, verdict="denied", flags="",
                    error=ErrorNames.from_code(second["code"], second["error"]))
    if second["client"].lower() != login.lower():
        return dict(onward, verdict="denied", flags="",
                    error="WRONG_IDENTITY(%s)" % second["client"])
    t = ticket(result.get("delegated_after", []), login, back)
    return dict(onward, verdict="allowed", error="", refused_at="",
                flags=letters(t["flags"]) if t else "?")
