#include "common/rules.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace delegsim {
namespace {

using enum Enforcer;

constexpr std::array<RuleInfo, static_cast<size_t>(RuleId::kCount)> kRules = {{
    {RuleId::kIL1, "IL-1", kOs,
     "The four levels anonymous < identify < impersonate < delegate have two numberings "
     "(SECURITY_IMPERSONATION_LEVEL 0-3, RPC_C_IMP_LEVEL 1-4 with 0 = default); both map to "
     "one enum and unknown values are rejected.",
     "LSAD; COM-K; RPCE-IL"},
    {RuleId::kIL2, "IL-2", kOs,
     "At anonymous level the server learns no identity and every access as the client fails.",
     "SEED-C; SEED-E; COM-K"},
    {RuleId::kIL3, "IL-3", kOs,
     "At identify level the server may read the client's SIDs and privileges and run access "
     "checks, but opening or using an object as the client fails.",
     "SEED-B; SEED-C; SEED-E; COM-K; RULES.md C2"},
    {RuleId::kIL4, "IL-4", kOs,
     "At impersonate level the client's context works for resources on the server's own "
     "machine only; a network call as the client needs net_creds other than none.",
     "SEED-C; SEED-E; LSAD; COM-K"},
    {RuleId::kIL5, "IL-5", kOs,
     "At delegate level the client's context may be used on other machines, given a "
     "forwarded TGT (Kerberos, UD-*, AC-*).",
     "SEED-C; SEED-E; RPCE-IL"},
    {RuleId::kIL6, "IL-6", kOs,
     "The client picks the level and the server cannot raise it (except TR-2).", "SEED-D; SEED-C"},
    {RuleId::kTK1, "TK-1", kOs,
     "An object created while impersonating is owned by the client token's default owner.",
     "SEED-E"},
    {RuleId::kTK2, "TK-2", kOs,
     "CreateProcess from an impersonating thread gives the child the process's primary token, "
     "not the client's.",
     "SEED-B; SEED-E"},
    {RuleId::kTK3, "TK-3", kOs,
     "SE_TCB_NAME and SE_AUDIT_NAME privileges are checked in the process primary token, never "
     "in the impersonation token.",
     "SEED-B; SEED-E; RULES.md C15"},
    {RuleId::kTK4, "TK-4", kOs,
     "OpenThreadToken with OpenAsSelf checks access to the token object as the process; "
     "without it, as the impersonated client.",
     "SEED-E"},
    {RuleId::kTK5, "TK-5", kOs,
     "A process made with DuplicateTokenEx + CreateProcessAsUser runs as the client but has no "
     "network credentials unless the client's context carried a forwarded TGT.",
     "SEED-B"},
    {RuleId::kTK6, "TK-6", kOs,
     "LogonUser with the user's password yields a primary token with network credentials "
     "(own_session); ND does not block it, Protected Users still blocks NTLM.",
     "SEED-B; LSALOGON"},
    {RuleId::kTK7, "TK-7", kOs,
     "RevertToSelf restores the process context; later checks use the server account.",
     "SEED-B; COMPLUS"},
    {RuleId::kTK8, "TK-8", kOs,
     "Impersonating at impersonate level or above needs SeImpersonatePrivilege (or the "
     "caller's own identity or logon session); otherwise the token is silently identify-level.",
     "NP"},
    {RuleId::kTK9, "TK-9", kOs,
     "ImpersonateSelf and DuplicateToken(Ex) produce the requested level, never above the "
     "source token's.",
     "SEED-E"},
    {RuleId::kTK10, "TK-10", kOs,
     "An S4U logon gives an impersonation token only to a caller with SeTcbPrivilege; "
     "otherwise, or with the identify flag, an identify-level token.",
     "LSALOGON"},
    {RuleId::kTK11, "TK-11", kOs,
     "Access to an object is decided by the client's identity and groups against the object's "
     "DACL: deny entries first, then the union of allow entries.",
     "SEED-A; SEED-D"},
    {RuleId::kTR1, "TR-1", kOs,
     "Anonymous works only over local IPC; any other transport silently promotes it to "
     "identify.",
     "SEED-C; WCF"},
    {RuleId::kTR2, "TR-2", kOs,
     "On a remote named pipe the client's requested level is ignored: the level follows the "
     "server account (delegate if trusted for delegation, else impersonate).",
     "SEED-E; RULES.md C4"},
    {RuleId::kTR3, "TR-3", kOs,
     "ncacn_np carries a transport-layer (SMB) level separate from the RPC level; the "
     "result may differ from both requests.",
     "RPCE-TL"},
    {RuleId::kTR4, "TR-4", kClient,
     "Levels map to GSS flags: identify -> GSS_C_IDENTITY_FLAG, impersonate -> none, "
     "delegate -> GSS_C_DELEG_FLAG.",
     "RPCE-IL"},
    {RuleId::kDF1, "DF-1", kClient,
     "The default level is per API: raw RPC, named pipe and DDE impersonate; COM and WCF "
     "identify.",
     "RPCE-IL; SEED-E; NP; SEED-C; COM-K; WCF; RULES.md C1"},
    {RuleId::kPK1, "PK-1", kOs, "Only Kerberos carries a delegate level across machines.",
     "SEED-A; SEED-C"},
    {RuleId::kPK2, "PK-2", kOs,
     "NTLM never delegates across computers: its network logon has net_creds none.",
     "SEED-C; SEED-B"},
    {RuleId::kPK3, "PK-3", kOs,
     "Schannel supports no delegation: the level is capped at "
     "impersonate.",
     "SEED-C; COM-K"},
    {RuleId::kPK4, "PK-4", kClient,
     "Negotiate picks Kerberos when it can work and falls back to NTLM for a missing SPN, an "
     "IP address or a workgroup host, silently losing delegation.",
     "SEED-C"},
    {RuleId::kPK5, "PK-5", kClient,
     "Delegation needs the client, the server and every downstream host in a (trusted) "
     "domain; otherwise there is no Kerberos.",
     "SEED-C"},
    {RuleId::kMA1, "MA-1", kClient,
     "Kerberos delegates only when the client asked for mutual authentication; without it no "
     "TGT is forwarded.",
     "SEED-A; KILE-RQ; RFC4120 3.2.4; RULES.md C14"},
    {RuleId::kMA2, "MA-2", kClient,
     "A call that asked for delegate but got no delegation fails with RPC_S_SEC_PKG_ERROR, "
     "unless ignore-delegate-failure lets it proceed at impersonate.",
     "IGNDF; RULES.md C14"},
    {RuleId::kLC1, "LC-1", kOs,
     "A local server called over ncalrpc at impersonate or above holds the client's own logon "
     "session and may make network calls as the client (own_session), with no "
     "trusted-for-delegation.",
     "SEED-A; SEED-C; RULES.md C5"},
    {RuleId::kLC2, "LC-2", kOs,
     "The remote server reached from an own_session hop holds an impersonate-level context "
     "usable only on its own machine.",
     "SEED-A"},
    {RuleId::kLC3, "LC-3", kOs,
     "The own_session holder makes the next machine able to go further only by asking for "
     "delegate on that call, under MA-1, UD-*, AC-* and PU-*.",
     "SEED-A"},
    {RuleId::kLC4, "LC-4", kOs,
     "Below impersonate on the local call there is no usable token, hence no network hop.",
     "SEED-A; IL-2; IL-3"},
    {RuleId::kLC5, "LC-5", kOs,
     "net_creds decides the next hops: own_session and tgt reach other machines, s4u_proxy "
     "only KCD/RBCD targets, none nothing.",
     "SEED-A; SEED-B; SFU-K; SFU-R"},
    {RuleId::kUD1, "UD-1", kKdc,
     "The KDC sets OK-AS-DELEGATE on service tickets to an account trusted for delegation.",
     "KILE-TF; ADTS-UAC; RFC4120 2.8"},
    {RuleId::kUD2, "UD-2", kClient,
     "The client forwards its TGT only if the service ticket carries OK-AS-DELEGATE (Windows "
     "policy; the mit policy always forwards).",
     "KILE-RQ; RFC5896; RULES.md C6, C7"},
    {RuleId::kUD3, "UD-3", kKdc,
     "Asked to delegate, the client requests FORWARDABLE and a FORWARDED TGT, which the KDC "
     "issues with the FORWARDED flag.",
     "KILE-RQ"},
    {RuleId::kUD4, "UD-4", kKdc,
     "A FORWARDED request with a non-forwardable TGT is refused with KDC_ERR_BADOPTION.",
     "RFC4120 2.6"},
    {RuleId::kUD5, "UD-5", kKdc,
     "A ticket derived from a non-forwardable TGT is never forwardable.", "RFC4120 2.6"},
    {RuleId::kUD6, "UD-6", kKdc,
     "A FORWARDABLE or PROXIABLE request that policy forbids is issued without the flag, no "
     "error (Heimdal's TGS answers KDC_ERR_BADOPTION instead).",
     "MIT ticket 7871; RULES.md C12"},
    {RuleId::kAC1, "AC-1", kKdc,
     "An account marked sensitive (NOT_DELEGATED) never gets FORWARDABLE or PROXIABLE TGTs, "
     "nor service tickets obtained with them.",
     "KILE-TF; SFU-DM; SAMR"},
    {RuleId::kAC2, "AC-2", kKdc,
     "userAccountControl bits differ between AD (UF_*) and SAMR/PAC (USER_*) and are converted "
     "through the MS-SAMR 3.1.5.14.2 mapping; the PAC carries USER_*.",
     "ADTS-UAC; SAMR; SFU-CP; RULES.md C11"},
    {RuleId::kAC3, "AC-3", kKdc,
     "TRUSTED_TO_AUTH_FOR_DELEGATION enables protocol transition: S4U2self tickets of the "
     "service are forwardable.",
     "ADTS-UAC; SFU-S"},
    {RuleId::kAC4, "AC-4", kKdc,
     "msDS-AllowedToDelegateTo lists the SPNs a service may reach with S4U2proxy (compared "
     "case-insensitively, realm ignored).",
     "SEED-A; SFU-DM; SFU-K"},
    {RuleId::kAC5, "AC-5", kKdc,
     "msDS-AllowedToActOnBehalfOfOtherIdentity on the target lists who may delegate to it "
     "(resource-based).",
     "SFU-DM; SFU-R"},
    {RuleId::kPU1, "PU-1", kKdc,
     "A Protected Users member (direct or nested, domain level >= 2012 R2) gets a TGT that is "
     "neither FORWARDABLE nor PROXIABLE; only the AS step checks it.",
     "KILE-TF; KILE-AS; PU"},
    {RuleId::kPU2, "PU-2", kKdc,
     "Protected Users: TGT life 4 hours, DES or RC4 pre-authentication refused with "
     "KDC_ERR_ETYPE_NOTSUPP, NTLM logon refused.",
     "KILE-AS; PU"},
    {RuleId::kPU3, "PU-3", kKdc,
     "Computer and service accounts in Protected Users fail to authenticate.", "PU"},
    {RuleId::kS4U1, "S4U-1", kKdc,
     "S4U2self gives a service a ticket to itself for any user, marked service-asserted; a "
     "request naming another server fails with KRB_AP_ERR_BADMATCH.",
     "SFU-S"},
    {RuleId::kS4U2, "S4U-2", kKdc,
     "The S4U2self ticket is forwardable if the service has T2A4D, not if it lacks T2A4D but "
     "has a non-empty A2D2, else yes (Windows); never for a sensitive or protected user, a "
     "non-forwardable service TGT, or when not requested.",
     "SFU-S; K5-PAC; RULES.md C9"},
    {RuleId::kS4U3, "S4U-3", kKdc,
     "Protocol transition (S4U2self then S4U2proxy) works for classic KCD only with a "
     "forwardable S4U2self ticket: a Kerberos-only service with A2D2 cannot do it.",
     "SFU-S; SFU-K"},
    {RuleId::kKCD1, "KCD-1", kKdc,
     "S4U2proxy to a Service2 SPN in Service1's A2D2 is allowed; otherwise, with no RBCD, "
     "KDC_ERR_BADOPTION (STATUS_NOT_SUPPORTED for an empty A2D2, else STATUS_NO_MATCH).",
     "SFU-K; SFU-PO"},
    {RuleId::kKCD2, "KCD-2", kKdc,
     "The S4U2proxy evidence ticket must be forwardable, else KDC_ERR_BADOPTION.",
     "SFU-K; SFU-EX; RULES.md C10"},
    {RuleId::kKCD3, "KCD-3", kKdc,
     "Classic KCD works only within one domain; across realms only RBCD can.", "SFU-K"},
    {RuleId::kKCD4, "KCD-4", kKdc, "S4U2proxy never yields a TGT (KDC_ERR_POLICY).",
     "MIT check_tgs_s4u2proxy"},
    {RuleId::kKCD5, "KCD-5", kKdc,
     "The evidence ticket must be issued to the requesting service and carry a valid PAC "
     "(KDC_ERR_SERVER_NOMATCH).",
     "MIT EVIDENCE_TICKET_MISMATCH"},
    {RuleId::kKCD6, "KCD-6", kKdc,
     "The S4U2proxy ticket names the user and Service2, is forwardable, keeps the user's PAC "
     "and records every transited service, so Service2 may chain.",
     "SFU-EX; PAC-DI"},
    {RuleId::kKCD7, "KCD-7", kKdc,
     "KCD gives the front end net_creds s4u_proxy{A2D2} with no OK-AS-DELEGATE and no "
     "delegate request from the client.",
     "SFU-K; IGNDF"},
    {RuleId::kRB1, "RB-1", kKdc,
     "When KCD does not allow it and the request has the RBCD option, Service1 must be allowed "
     "by Service2's msDS-AllowedToActOnBehalfOfOtherIdentity, else KDC_ERR_BADOPTION "
     "(STATUS_NOT_FOUND).",
     "SFU-R; SFU-PO; SFU-CP"},
    {RuleId::kRB2, "RB-2", kKdc,
     "RBCD needs a forwardable evidence ticket (KDC_ERR_BADOPTION, STATUS_ACCOUNT_RESTRICTION); "
     "the legacy switch accepts a non-forwardable S4U2self ticket of a non-sensitive user.",
     "SFU-R; SFU-CP; K5-PAC; BRONZE; RULES.md C8"},
    {RuleId::kRB3, "RB-3", kKdc,
     "RBCD works across domains and forests: Service2's realm decides, reached by referral.",
     "SFU-R; PAC-DI"},
    {RuleId::kRB4, "RB-4", kKdc,
     "RBCD after S4U2self works for a service with no A2D2 and no T2A4D, because its S4U2self "
     "ticket is forwardable (S4U-2).",
     "SFU-S; SFU-R"},
    {RuleId::kXR1, "XR-1", kKdc,
     "A referral TGT is OK-AS-DELEGATE only if the trust is within the forest or enables TGT "
     "delegation, and is not quarantined, not no-TGT-delegation, and the source referral was "
     "OK-AS-DELEGATE.",
     "KILE-XD; ADTS-TA; RULES.md C7"},
    {RuleId::kXR2, "XR-2", kKdc,
     "Since July 2019 TGT delegation across a forest trust is off unless the trust enables it; "
     "KCD and RBCD are unaffected.",
     "KB4490425"},
    {RuleId::kXR3, "XR-3", kKdc,
     "Across a selective-authentication trust the client needs Allowed-To-Authenticate on the "
     "server, else KDC_ERR_POLICY.",
     "KILE-XD"},
    {RuleId::kDS1, "DS-1", kOs,
     "A ticket is sealed with its server's key; one whose seal does not verify is forged or "
     "altered and is refused with KRB_AP_ERR_MODIFIED.",
     "RFC4120 3.2.3, 5.3"},
    {RuleId::kDS2, "DS-2", kOs,
     "A ticket is honoured only between its start and end time (KRB_AP_ERR_TKT_NYV, "
     "KRB_AP_ERR_TKT_EXPIRED).",
     "RFC4120 3.2.3"},
    {RuleId::kDS3, "DS-3", kOs,
     "ncalrpc reaches only endpoints on the caller's own host; a call to another host cannot "
     "be made.",
     "MSDN ncalrpc; SEED-A"},
    {RuleId::kDS4, "DS-4", kSimulator,
     "A call chain longer than the hop limit is refused, so no plan runs forever.", "delegsim"},
    {RuleId::kDS5, "DS-5", kSimulator,
     "A call that would re-enter a service already on its own chain is refused as a cycle.",
     "delegsim"},
    {RuleId::kDS6, "DS-6", kOs,
     "A service answers only on the transports it listens on (RPC_S_PROTSEQ_NOT_SUPPORTED).",
     "MS-RPCE 2.1"},
    {RuleId::kDS7, "DS-7", kKdc,
     "A request naming an unknown client or SPN fails with KDC_ERR_C_PRINCIPAL_UNKNOWN or "
     "KDC_ERR_S_PRINCIPAL_UNKNOWN.",
     "RFC4120 7.5.9"},
    {RuleId::kDS8, "DS-8", kKdc,
     "The AS exchange gives a known, enabled principal a TGT for its realm.", "RFC4120 3.1"},
    {RuleId::kDS9, "DS-9", kKdc,
     "The TGS exchange gives the holder of a valid TGT of this realm a service ticket, copying "
     "the TGT's client and PAC.",
     "RFC4120 3.3"},
    {RuleId::kDS10, "DS-10", kKdc,
     "A service in another realm is reached by a referral TGT across a trust; with no trust "
     "between the realms there is no referral (KDC_ERR_S_PRINCIPAL_UNKNOWN).",
     "KILE-XD; RFC4120 3.3.1"},
    {RuleId::kDS11, "DS-11", kOs,
     "A service accepts only tickets issued to its own account (KRB_AP_ERR_NOT_US), and a KDC "
     "only TGTs of its own realm.",
     "RFC4120 3.2.3"},
    {RuleId::kDS12, "DS-12", kOs,
     "A user with no account on the server's domain or trusted domains, or a wrong password, "
     "cannot log on (STATUS_LOGON_FAILURE).",
     "MS-NLMP 3.2.5; LSALOGON"},
    {RuleId::kDS13, "DS-13", kClient,
     "A call or KDC request whose connection fails or whose reply does not come within the "
     "bounded wait fails: RPC_S_SERVER_UNAVAILABLE when the server cannot be reached (its host "
     "is down), RPC_S_CALL_FAILED when no reply comes, KDC_ERR_SVC_UNAVAILABLE when no KDC "
     "of the realm answers; it is never retried silently.",
     "MS-RPCE 3.3.3; delegsim"},
    {RuleId::kDS14, "DS-14", kKdc,
     "A ticket obtained with a FORWARDED TGT is FORWARDED too (service tickets, referral and "
     "re-forwarded TGTs, S4U2self), under every KDC.",
     "RFC4120 2.6; MIT do_tgs_req.c"},
    {RuleId::kDS15, "DS-15", kKdc,
     "A ticket is RENEWABLE only when the request asks RENEWABLE, the header ticket (for the "
     "TGS exchange) is renewable and the realm's renew life is not zero; renew-till is capped "
     "by the header's, by the realm's renew life and for Protected Users by 4 hours (PU-2).",
     "RFC4120 2.3, 3.1.3, 3.3.3; KILE-AS; PU; MIT kdc.conf max_renewable_life"},
    {RuleId::kDS16, "DS-16", kOs,
     "A service remembers the authenticators it accepted within the clock skew; the same "
     "authenticator presented again is a replay and is refused with KRB_AP_ERR_REPEAT.",
     "RFC4120 3.2.3, 10; MIT rcache (src/lib/krb5/rcache)"},
}};

}  // namespace

const RuleInfo& Rule(RuleId id) { return kRules[static_cast<size_t>(id)]; }

std::span<const RuleInfo> AllRules() { return kRules; }

std::optional<RuleId> ParseRuleId(std::string_view code) {
  // Codes are stored upper-case; a sorted index makes a lookup a few comparisons.
  static const std::vector<std::pair<std::string_view, RuleId>> kIndex = [] {
    std::vector<std::pair<std::string_view, RuleId>> index;
    for (const RuleInfo& r : kRules) index.emplace_back(r.code, r.id);
    std::sort(index.begin(), index.end());
    return index;
  }();
  if (code.size() > 8) return std::nullopt;
  char upper[8];
  for (size_t i = 0; i < code.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(code[i])));
  std::string_view key(upper, code.size());
  auto it = std::lower_bound(kIndex.begin(), kIndex.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it == kIndex.end() || it->first != key) return std::nullopt;
  return it->second;
}

std::string_view EnforcerName(Enforcer e) {
  switch (e) {
    case Enforcer::kOs:
      return "os";
    case Enforcer::kClient:
      return "client";
    case Enforcer::kKdc:
      return "kdc";
    case Enforcer::kSimulator:
      return "simulator";
  }
  return "?";
}

}  // namespace delegsim
