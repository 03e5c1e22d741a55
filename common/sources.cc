// Generated from the source key table of ../shared/RULES.md (and the few other source
// names the rule table uses); see docs/sources.md. Keep in step with RULES.md.
#include "common/sources.h"

#include <array>

namespace delegsim {
namespace {

constexpr std::array<SourceInfo, 44> kSources = {{
    {"SEED-A",
     "Seed document 000: Microsoft overview text, section \"5 Impersonation\" (cites "
     "[MSDN-NCALRPC]); the same material is on the linked page",
     "https://learn.microsoft.com/en-us/windows/win32/rpc/client-impersonation"},
    {"SEED-B",
     "Seed document 001: Legacy Win32 SDK page \"Impersonation\" (NT 4.0 era); its current version "
     "is linked",
     "https://learn.microsoft.com/en-us/windows/win32/secauthz/client-impersonation"},
    {"SEED-C", "Seed document 002: COM \"Impersonation Levels\"",
     "https://learn.microsoft.com/en-us/windows/win32/com/impersonation-levels"},
    {"SEED-D",
     "Seed document 003: P. Cooke, *The Definitive Guide to Windows 2000 Security*, ch. 5 excerpt "
     "(\"Impersonation access tokens\")",
     ""},
    {"SEED-E", "Seed document 004: Win32 \"Impersonation Levels (Authorization)\"",
     "https://learn.microsoft.com/en-us/windows/win32/secauthz/impersonation-levels"},
    {"RPCE-IL", "[MS-RPCE] 2.2.1.1.9 Impersonation Level",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rpce/"
     "fd5d5c6e-80f4-49b5-887f-4ce844cc62c4"},
    {"RPCE-TL", "[MS-RPCE] 2.2.1.1.10 Transport-Layer Impersonation Level",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rpce/"
     "119d6768-d499-440c-ab0c-44c35176f12a"},
    {"COM-K", "COM Impersonation Level Constants",
     "https://learn.microsoft.com/en-us/windows/desktop/com/com-impersonation-level-constants"},
    {"LSAD", "[MS-LSAD] 2.2.3.5 SECURITY_IMPERSONATION_LEVEL",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-lsad/"
     "720cea10-cee2-4c45-9084-c6fa7d67d18d"},
    {"NP", "Impersonating a named pipe client; ImpersonateNamedPipeClient",
     "https://learn.microsoft.com/en-us/windows/win32/ipc/impersonating-a-named-pipe-client "
     "https://learn.microsoft.com/en-us/windows/desktop/api/namedpipeapi/"
     "nf-namedpipeapi-impersonatenamedpipeclient"},
    {"LSALOGON", "LsaLogonUser; KERB_S4U_LOGON",
     "https://learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsalogonuser "
     "https://learn.microsoft.com/en-us/windows/desktop/api/Ntsecapi/ns-ntsecapi-kerb_s4u_logon"},
    {"IGNDF", "\"Ignore Delegation Failure\" RPC policy (text of the Group Policy)",
     "https://www.windows-security.org/ab438cc77169d894b92a0be6e499e721/ignore-delegation-failure"},
    {"COMPLUS", "Server-side requirements for impersonation",
     "https://learn.microsoft.com/en-us/windows/win32/cossdk/"
     "server-side-requirements-for-impersonation"},
    {"WCF",
     "WCF: using impersonation with transport security; the <windows> element of clientCredentials",
     "https://learn.microsoft.com/dotnet/framework/wcf/feature-details/"
     "using-impersonation-with-transport-security "
     "https://learn.microsoft.com/en-us/dotnet/framework/configure-apps/file-schema/wcf/"
     "windows-of-clientcredentials-element"},
    {"KILE-RQ", "[MS-KILE] 3.2.5.1 Request Flags Details (client)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/"
     "3affa503-59b5-47b6-92aa-ec4b9cf04982"},
    {"KILE-TF", "[MS-KILE] 3.3.5.1 Request Flag Ticket-issuing Behavior (KDC)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/"
     "f5993d64-a280-4555-9fcc-922fb934fc27"},
    {"KILE-FL", "[MS-KILE] 3.1.5.4 Ticket Flag Details",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/"
     "de260077-1955-447c-a120-af834afe45c2"},
    {"KILE-AS", "[MS-KILE] AS exchange, KDC (Protected Users)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/"
     "a076994a-47a9-4d16-af77-d4abb523afe4"},
    {"KILE-XD", "[MS-KILE] 3.3.5.7.5 Cross-Domain Trust and Referrals",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/"
     "bac4dc69-352d-416c-a9f4-730b81ababb3"},
    {"SFU-DM", "[MS-SFU] 3.2.1 Abstract Data Model (KDC)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "0b4d13c4-d459-4598-8f08-1584ca1e24c9"},
    {"SFU-S", "[MS-SFU] 3.2.5.1.2 KDC Replies with Service Ticket (S4U2self)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "ad98268b-f75b-42c3-b09b-959282770642"},
    {"SFU-CP", "[MS-SFU] 3.1.5.2.1 Sends S4U2proxy KRB_TGS_REQ (client)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "ddb2cafd-1f01-4834-b52a-d4a5b34cd960"},
    {"SFU-K", "[MS-SFU] 3.2.5.2.1 Using ServicesAllowedToSendForwardedTicketsTo",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "6d76bf10-3c48-4e14-9992-df1bd456455e"},
    {"SFU-R", "[MS-SFU] 3.2.5.2.3 Using ServicesAllowedToReceiveForwardedTicketsFrom",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "dd1b47f9-580c-4c4e-8f34-4485b9728331"},
    {"SFU-PO", "[MS-SFU] 2.2.5 PA-PAC-OPTIONS; cname-in-addl-tkt",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "aeecfd82-a5e4-474c-92ab-8df9022cf955 "
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "17b9af82-d45a-437d-a05c-79547fe969f5"},
    {"SFU-EX", "[MS-SFU] 4.3 S4U2proxy Example",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"
     "c920c148-8a9c-42e9-b8e9-db5755cd281b"},
    {"PAC-DI", "[MS-PAC] 2.9 S4U_DELEGATION_INFO",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-pac/"
     "fce87259-b958-4617-9758-c4cd5ed47e5a"},
    {"ADTS-UAC", "[MS-ADTS] 2.2.16 userAccountControl Bits; ADS_USER_FLAG_ENUM",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/"
     "dd302fd1-0aa7-406b-ad91-2a6b35738557 "
     "https://learn.microsoft.com/en-us/windows/win32/api/iads/ne-iads-ads_user_flag_enum"},
    {"ADTS-TA", "[MS-ADTS] 6.1.6.7.9 trustAttributes",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/"
     "e9a2d23c-c31e-4a6f-88a0-6646fdb51a3c"},
    {"SAMR", "[MS-SAMR] 2.2.1.12 USER_ACCOUNT codes; 2.2.1.13 UF codes; 3.1.5.14.2 mapping",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-samr/"
     "b10cfda1-f24f-441b-8f43-80cb93e786ec "
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-samr/"
     "10bf6c8e-34af-4cf9-8dff-6b6330922863 "
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-samr/"
     "8a193181-a7a2-49df-a8b1-f689aaa6987c"},
    {"PU", "Protected Users Security Group",
     "https://learn.microsoft.com/en-us/windows-server/security/"
     "credentials-protection-and-management/protected-users-security-group"},
    {"KB4490425", "Updates to TGT delegation across incoming trusts",
     "https://support.microsoft.com/en-us/topic/"
     "updates-to-tgt-delegation-across-incoming-trusts-in-windows-server-1a6632ac-1599-0a7c-550a-"
     "a754796c291e"},
    {"RFC4120",
     "RFC 4120, The Kerberos Network Authentication Service (V5) (2.6 forwardable, 2.8 "
     "ok-as-delegate, 3.2.4 mutual auth/AP-REP)",
     "https://www.rfc-editor.org/rfc/rfc4120"},
    {"RFC5896", "GSS-API \"delegate if approved by policy\"",
     "https://datatracker.ietf.org/doc/rfc5896/"},
    {"BRONZE", "CVE-2020-17049 (\"Bronze Bit\")",
     "https://www.netspi.com/blog/technical/network-penetration-testing/"
     "cve-2020-17049-kerberos-bronze-bit-theory/"},
    {"K5-PAC",
     "krb5 commit a441fbe3 (1.20) \"Replace AD-SIGNEDPATH with minimal PACs\". Its message says "
     "that Microsoft revised the S4U2Proxy forwardable rules",
     "https://github.com/krb5/krb5/commit/a441fbe329ebbd7775eb5d4ccc4a05eef370f08b"},
    {"K5-8479",
     "krb5 commit e131d339 \"S4U2Proxy evidence tickets needn't be forwardable\" (older, client "
     "side)",
     "https://github.com/krb5/krb5/commit/e131d339b81a22bfc91ab96990c3be9e7779200e"},
    {"JDK", "JDK-8272162 \"S4U2Self ticket without forwardable flag\"",
     "https://github.com/openjdk/jdk/pull/6082"},
    {"RULES.md",
     "The rule catalogue this project implements; \"RULES.md Cn\" names item n of its section (b), "
     "contradictions and ambiguities with the resolution chosen",
     ""},
    {"MIT",
     "MIT krb5 source (KDC policy in src/kdc/tgs_policy.c and kdc_util.c); the words after MIT "
     "name the function, error string or ticket",
     "https://github.com/krb5/krb5"},
    {"MS-RPCE", "[MS-RPCE] Remote Procedure Call Protocol Extensions (section named after the key)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rpce/"
     "290c38b1-92fe-4229-91e6-4fc376610c15"},
    {"MS-NLMP",
     "[MS-NLMP] NT LAN Manager (NTLM) Authentication Protocol (section named after the key)",
     "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/"
     "b38c36ed-2804-4868-a9ff-8dd3182128e4"},
    {"MSDN",
     "Microsoft documentation of the ncalrpc (local RPC) protocol sequence and client "
     "impersonation, as cited by SEED-A",
     "https://learn.microsoft.com/en-us/windows/win32/rpc/client-impersonation"},
    {"delegsim",
     "A guard or convention of this simulator itself (hop limits, call cycles, transports a "
     "service listens on); no outside source",
     ""},
}};

}  // namespace

std::span<const SourceInfo> AllSources() { return kSources; }

const SourceInfo* FindSource(std::string_view key) {
  for (const SourceInfo& s : kSources) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

}  // namespace delegsim
