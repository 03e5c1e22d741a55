"""Asking delegsim every row: one generated scenario, `delegsim run --json`."""

import json
import os

from kdcs import Unfinished, run
from matrix import letters, row_id


DELEGSIM_FLAG_LETTERS = {
    "forwardable": "F", "forwarded": "f", "proxiable": "P", "proxy": "p",
    "renewable": "R", "initial": "I", "pre_authent": "A", "ok_as_delegate": "O",
}


def step_name(user, fe, op):
    return "%s.%s.%s" % (user["id"], fe["id"] if fe else "-", op)


def first_hop(user, fe, op):
    """The path of the row's first hop: the front end (the `tgt` rows call fe-none)."""
    return "%s/fe-%s" % (step_name(user, fe, op), fe["id"] if fe else "none")


def client_policy(matrix, op):
    """The delegsim client policy of an operation: MIT's GSS client unless it says."""
    return next(o.get("client_policy", "mit") for o in matrix["operations"] if o["id"] == op)


def scenario_for(matrix, kdc, realm_name, rows, policy):
    """One scenario with a step for each row whose operation uses client `policy`."""
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
        if client_policy(matrix, op) != policy:
            continue
        step = {"name": step_name(user, fe, op), "user": user["id"], "from": "ws1",
                "call": "fe-%s" % (fe["id"] if fe else "none")}
        if op in ("service_ticket", "tgt"):
            # kinit -f: the user's TGT is the hop's "tgt" ticket (the AS exchange).
            step.update({"package": "kerberos", "level": "impersonate"})
        elif op == "s4u2self":
            # kvno -U USER FRONT: the front end's own S4U2self for the user, FORWARDABLE and
            # RENEWABLE asked (MIT copies them from its TGT); the plain user's call only runs
            # the operation.
            step.update({"user": "plain", "package": "kerberos", "level": "impersonate",
                         "then": [{"s4u2self": user["id"], "renewable": True}]})
        elif op == "service_ticket":
            step.update({"package": "kerberos", "level": "impersonate"})
        elif op == "s4u2proxy":
            # The front end signs the user in itself (no Kerberos from the user), then
            # S4U2self + S4U2proxy to the back end: kvno -U USER -P BACK.
            step.update({"package": "forms", "level": "impersonate",
                         "then": [{"call": "back", "package": "kerberos",
                                   "level": "impersonate", "protocol_transition": True}]})
        else:
            # MIT's GSS client: GSS_C_DELEG_FLAG forwards the TGT whenever it is
            # forwardable (client_policy mit), GSS_C_DELEG_POLICY_FLAG only to an
            # ok-as-delegate service (windows); either drops delegation silently.
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
        "name": "interop-%s-%s" % (kdc, policy),
        "description": "tests/interop: the matrix rows asked of the real %s" % spec["product"],
        "profile": spec["profile"], "seed": 12,
        # The client is MIT's (kinit, kvno, gss_init_sec_context): client_library mit_gss.
        # The MIT tools here ask RENEWABLE (every real ticket is R), as Windows does.
        "options": {"client_policy": policy, "client_library": "mit_gss",
                    "client_renewable": True},
        "domains": [domain_spec], "hosts": hosts, "accounts": accounts,
        "services": services, "steps": steps,
    }
    # The realm's ticket policy as the real KDC is configured (kdc.conf max_life and
    # max_renewable_life for MIT); Samba keeps AD's defaults, as the profile does.
    for key in ("max_ticket_life", "max_renew_life"):
        if spec.get(key):
            scenario["options"][key] = spec[key]
    if protected:
        scenario["groups"] = [{"name": "Protected Users", "domain": realm_name,
                               "members": protected}]
    return scenario


def ask_delegsim(matrix, kdc, realm_name, rows, delegsim, root):
    hops = {}
    for policy in sorted({client_policy(matrix, op) for _, _, op in rows}):
        path = os.path.join(root, "interop-%s-%s.json" % (kdc, policy))
        with open(path, "w") as f:
            json.dump(scenario_for(matrix, kdc, realm_name, rows, policy), f, indent=1)
        code, out, err = run([delegsim, "run", path, "--json", "--runtime", "virtual"],
                             dict(os.environ), check=False)
        if code not in (0, 1):
            raise Unfinished("delegsim run %s failed (%d): %s" % (path, code, err.strip()))
        hops.update({hop["path"]: hop for hop in json.loads(out)["hops"]})
    observed = {}
    for user, fe, op in rows:
        rid = row_id(user, fe, op)
        base = first_hop(user, fe, op)
        first = hops.get(base)
        if first is None:
            raise Unfinished("delegsim reported no hop %s" % base)
        if op == "service_ticket":
            observed[rid] = sim_outcome(first)
            continue
        if op in ("tgt", "s4u2self"):
            observed[rid] = ticket_outcome(first, op)
            continue
        second = hops.get(base + "/back")
        result = sim_outcome(second if (first["verdict"] == "allowed" and second) else first)
        if first["verdict"] == "allowed" and second is None:
            result = {"verdict": "denied", "error": "DOWNSTREAM_NO_CREDS", "flags": ""}
        if op.startswith("gss"):
            result["forwarded_tgt"] = "yes" if first.get("net_creds") == "tgt" else "no"
            result["refused_at"] = ("front" if first["verdict"] != "allowed" else
                                    "back" if result["verdict"] != "allowed" else "")
        observed[rid] = result
    return observed


def ticket_outcome(hop, role):
    """A row answered by one ticket of the hop: the user's TGT (role tgt) or the front
    end's S4U2self ticket (role s4u2self), issued or refused by the KDC."""
    ticket = next((t for t in hop.get("tickets", []) if t["role"] == role), None)
    if ticket is None:
        raise Unfinished("delegsim reported no %s ticket at %s" % (role, hop["path"]))
    if not ticket["issued"]:
        return {"verdict": "denied", "error": ticket["error"], "flags": "",
                "decided_by": ticket.get("decided_by", "")}
    return {"verdict": "allowed", "error": "", "flags": klist_letters(ticket["flags"]),
            "decided_by": ticket.get("decided_by", "")}


def klist_letters(names):
    return letters("".join(DELEGSIM_FLAG_LETTERS.get(name, "") for name in names.split(",")))


def sim_outcome(hop):
    allowed = hop["verdict"] == "allowed"
    return {"verdict": hop["verdict"], "error": "" if allowed else hop.get("error", ""),
            "flags": klist_letters(hop.get("ticket_flags") or "") if allowed else "",
            "decided_by": hop.get("decided_by", "")}
