#!/usr/bin/env python3
"""Writes the importer's test collections, written for delegsim (no real directory's data):
data/corp-v6/ in the SharpHound 2.x / BloodHound CE format (meta.version 6) and
data/corp-v5/ in the SharpHound 1.x / BloodHound 4.x format (meta.version 5), both of one
made-up directory, so that a test can show the two versions import alike.

The directory: forest CORP.EXAMPLE with child domain EU.CORP.EXAMPLE; a two-way forest trust
with PARTNER.EXAMPLE; a one-way quarantined external trust from EU.CORP.EXAMPLE to
LEGACY.EXAMPLE (not collected). Accounts cover every delegation kind: unconstrained
(svc_web, the DCs), constrained with protocol transition (svc_app), constrained Kerberos
only (EUFS1$), resource-based (DB1 lets svc_web act), sensitive (bob), Protected Users
(carol; and erik through a localized group name), disabled (dave), plus references the
importer must skip (an unknown SID, an SPN of a host not collected, krbtgt).

Run: python3 tests/importer/make_fixtures.py  (rewrites the files; they are committed)
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORP = "S-1-5-21-1000-2000-3000"
EU = "S-1-5-21-1100-2100-3100"
PARTNER = "S-1-5-21-4000-5000-6000"
LEGACY = "S-1-5-21-7000-8000-9000"
UNKNOWN = CORP + "-1999"  # referenced, never collected
REALMS = {CORP: "CORP.EXAMPLE", EU: "EU.CORP.EXAMPLE", PARTNER: "PARTNER.EXAMPLE"}


def sid(dom, rid):
    return f"{dom}-{rid}"


def principal(object_id, kind):
    return {"ObjectIdentifier": object_id, "ObjectType": kind}


def base(object_id, dom, props, version):
    realm = REALMS[dom]
    p = {"domain": realm, "domainsid": dom, "highvalue": False,
         "description": None, "whencreated": 1700000000}
    p.update(props)
    o = {"Properties": p, "Aces": [], "ObjectIdentifier": object_id,
         "IsDeleted": False, "IsACLProtected": False}
    if version >= 6:
        o["ContainedBy"] = principal(dom, "Domain")
    return o


def user(dom, rid, sam, version, enabled=True, sensitive=False, unconstrained=False,
         trustedtoauth=False, spns=(), a2d2=(), gmsa=False):
    realm = REALMS[dom]
    props = {"name": f"{sam.upper()}@{realm}", "samaccountname": sam,
             "distinguishedname": f"CN={sam.upper()},CN=USERS,DC=" + realm.replace(".", ",DC="),
             "enabled": enabled, "sensitive": sensitive, "dontreqpreauth": False,
             "passwordnotreqd": False, "unconstraineddelegation": unconstrained,
             "pwdneverexpires": True, "trustedtoauth": trustedtoauth,
             "serviceprincipalnames": list(spns), "hasspn": bool(spns),
             "admincount": False, "sidhistory": [], "lastlogon": 0}
    if a2d2:
        props["allowedtodelegate"] = list(a2d2)
    if gmsa:
        props["gmsa"] = True
    o = base(sid(dom, rid), dom, props, version)
    o["AllowedToDelegate"] = []
    o["PrimaryGroupSID"] = sid(dom, 513)
    o["HasSIDHistory"] = []
    o["SPNTargets"] = []
    if version >= 6:
        o["UnconstrainedDelegation"] = unconstrained
        o["DomainSID"] = dom
    return o


def computer(dom, rid, short, version, dc=False, unconstrained=False, trustedtoauth=False,
             a2d2=(), allowed_to_act=(), extra_spns=(), enabled=True):
    realm = REALMS[dom]
    fqdn = f"{short}.{realm}".lower()
    spns = [f"HOST/{short.upper()}", f"HOST/{fqdn}", f"RestrictedKrbHost/{short.upper()}",
            f"RestrictedKrbHost/{fqdn}", f"TERMSRV/{fqdn}"] + list(extra_spns)
    props = {"name": f"{short.upper()}.{realm}", "samaccountname": f"{short.upper()}$",
             "enabled": enabled, "unconstraineddelegation": unconstrained or dc,
             "trustedtoauth": trustedtoauth, "serviceprincipalnames": spns,
             "operatingsystem": "Windows Server 2022 Standard", "haslaps": False,
             "lastlogontimestamp": 1700000000, "sidhistory": []}
    if a2d2:
        props["allowedtodelegate"] = list(a2d2)
    if version >= 6:
        props["isdc"] = dc
    o = base(sid(dom, rid), dom, props, version)
    o["PrimaryGroupSID"] = sid(dom, 516 if dc else 515)
    o["AllowedToDelegate"] = []
    o["AllowedToAct"] = [principal(s, k) for s, k in allowed_to_act]
    o["HasSIDHistory"] = []
    o["Sessions"] = {"Results": [], "Collected": False, "FailureReason": None}
    o["Status"] = None
    if version >= 6:
        o["IsDC"] = dc
        o["UnconstrainedDelegation"] = unconstrained or dc
        o["DomainSID"] = dom
        o["LocalGroups"] = []
        o["UserRights"] = []
        o["DCRegistryData"] = {"CertificateMappingMethods": None,
                               "StrongCertificateBindingEnforcement": None}
    else:
        o["LocalAdmins"] = {"Results": [], "Collected": False, "FailureReason": None}
    return o


def group(dom, rid, name, members, version):
    realm = REALMS[dom]
    props = {"name": f"{name.upper()}@{realm}", "samaccountname": name, "admincount": False}
    o = base(sid(dom, rid), dom, props, version)
    o["Members"] = [principal(s, k) for s, k in members]
    return o


def trust(target_dom, target_name, direction, ttype, transitive, sid_filtering, attributes,
          version):
    t = {"TargetDomainSid": target_dom, "TargetDomainName": target_name,
         "IsTransitive": transitive, "SidFilteringEnabled": sid_filtering,
         "TrustDirection": direction, "TrustType": ttype}
    if version >= 6:
        t["TGTDelegationEnabled"] = bool(attributes & 0x820) and not attributes & 0x4
        t["TrustAttributes"] = attributes
    return t


def domain(dom, level, trusts, version, root=CORP):
    realm = REALMS[dom]
    props = {"name": realm, "domain": realm, "distinguishedname": "DC=" + realm.replace(".", ",DC="),
             "functionallevel": level, "machineaccountquota": 10}
    o = base(dom, dom, props, version)
    o["Trusts"] = trusts
    o["Links"] = []
    o["ChildObjects"] = []
    o["GPOChanges"] = {"LocalAdmins": [], "RemoteDesktopUsers": [], "DcomUsers": [],
                       "PSRemoteUsers": [], "AffectedComputers": []}
    if version >= 6:
        o["ForestRootIdentifier"] = root
    return o


def collection(version):
    v = version
    users = [
        user(CORP, 1101, "alice", v),
        user(CORP, 1102, "bob", v, sensitive=True),
        user(CORP, 1103, "carol", v),
        user(CORP, 1104, "dave", v, enabled=False),
        user(CORP, 1110, "svc_web", v, unconstrained=True, spns=["http/web1.corp.example"]),
        user(CORP, 1111, "svc_app", v, trustedtoauth=True, spns=["http/app1.corp.example"],
             a2d2=["MSSQLSvc/db1.corp.example:1433", "MSSQLSvc/db1:1433"]),
        user(CORP, 1112, "svc_sql", v,
             spns=["MSSQLSvc/db1.corp.example:1433", "MSSQLSvc/db1:1433"]),
        user(CORP, 1113, "svc_old", v, spns=["http/old.corp.example"]),
        user(CORP, 502, "krbtgt", v, enabled=False, spns=["kadmin/changepw"]),
        user(EU, 1201, "erik", v),
        user(EU, 1210, "svc_eu", v, spns=["http/euweb.eu.corp.example"], gmsa=True),
        user(PARTNER, 1301, "pat", v),
    ]
    computers = [
        computer(CORP, 1000, "DC1", v, dc=True,
                 extra_spns=["ldap/dc1.corp.example", "GC/dc1.corp.example/corp.example"]),
        computer(CORP, 1001, "WEB1", v),
        computer(CORP, 1002, "APP1", v),
        computer(CORP, 1003, "DB1", v,
                 allowed_to_act=[(sid(CORP, 1110), "User"), (UNKNOWN, "User")]),
        computer(CORP, 1004, "WS1", v),
        computer(EU, 2000, "EUDC1", v, dc=True),
        computer(EU, 2001, "EUWEB", v),
        computer(EU, 2002, "EUFS1", v, a2d2=["cifs/eufs2.eu.corp.example"]),
        computer(EU, 2003, "EUFS2", v, enabled=False),
        computer(PARTNER, 3000, "PDC", v, dc=True),
    ]
    groups = [
        group(CORP, 513, "Domain Users", [], v),
        group(CORP, 515, "Domain Computers", [], v),
        group(CORP, 516, "Domain Controllers", [], v),
        group(CORP, 525, "Protected Users", [(sid(CORP, 1103), "User")], v),
        group(CORP, 1500, "Staff", [(sid(CORP, 1101), "User"), (sid(CORP, 1501), "Group"),
                                    (sid(EU, 1201), "User"), (UNKNOWN, "User")], v),
        group(CORP, 1501, "Web Admins", [(sid(CORP, 1102), "User")], v),
        group(EU, 513, "Domain Users", [], v),
        group(EU, 515, "Domain Computers", [], v),
        group(EU, 516, "Domain Controllers", [], v),
        group(EU, 525, "Utilisateurs protégés", [(sid(EU, 1201), "User")], v),
        group(PARTNER, 513, "Domain Users", [], v),
        group(PARTNER, 516, "Domain Controllers", [], v),
    ]
    domains = [
        domain(CORP, "2016", [
            trust(EU, "EU.CORP.EXAMPLE", "Bidirectional", "ParentChild", True, False, 0x20, v),
            trust(PARTNER, "PARTNER.EXAMPLE", "Bidirectional", "Forest", True, True, 0x8, v),
        ], v),
        domain(EU, "2012 R2", [
            trust(CORP, "CORP.EXAMPLE", "Bidirectional", "ParentChild", True, False, 0x20, v),
            trust(LEGACY, "LEGACY.EXAMPLE", "Outbound", "External", False, True, 0x4 | 0x1, v),
        ], v),
        domain(PARTNER, "2016", [
            trust(CORP, "CORP.EXAMPLE", "Bidirectional", "Forest", True, True, 0x8, v),
        ], v, root=PARTNER),
    ]
    return {"users": users, "computers": computers, "groups": groups, "domains": domains}


def write(version):
    folder = os.path.join(HERE, "data", f"corp-v{version}")
    os.makedirs(folder, exist_ok=True)
    collector = "2.5.7.0" if version == 6 else "1.1.0"
    for kind, objects in collection(version).items():
        meta = {"methods": 521215, "type": kind, "count": len(objects), "version": version}
        if version >= 6:
            meta["collectorversion"] = collector
        doc = {"data": objects, "meta": meta}
        with open(os.path.join(folder, f"20250101000000_{kind}.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    write(5)
    write(6)
