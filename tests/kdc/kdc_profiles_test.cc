// The KDC profiles side by side: one request matrix run under windows, mit, heimdal and
// windows with the legacy RBCD switch, with the exact outcome expected under each. The
// table is the statement of where the profiles differ (RULES.md C8, C9, C12, C13, PU-* under
// MIT, XR-1 under MIT, UD-1 under Heimdal, the RBCD/classic order of RB-1).
//
// An outcome reads "allowed by <rule>; <flag>=set|clear by <rule>" or
// "denied by <rule> (<error>) because <cause rules>"; a multi-step request joins the
// steps with " -> ".
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "tests/kdc/kdc_fixture.h"

namespace delegsim::kdc::testing {
namespace {

enum Column { kWindows, kMit, kHeimdal, kWindowsLegacy, kColumns };

Profile ProfileFor(Column c) {
  switch (c) {
    case kWindows:
      return Profile::Windows();
    case kMit:
      return Profile::Mit();
    case kHeimdal:
      return Profile::Heimdal();
    case kWindowsLegacy: {
      Profile p = Profile::Windows();
      p.legacy_rbcd_nonforwardable_ok = true;
      return p;
    }
    case kColumns:
      break;
  }
  return Profile::Windows();
}

constexpr std::array<const char*, kColumns> kColumnNames = {"windows", "mit", "heimdal",
                                                            "windows+legacy_rbcd"};

using Request = std::function<std::string(const Kdc&, const KdcWorld&)>;

// The expected outcome under each column.
struct PerProfile {
  const char* windows;
  const char* mit;
  const char* heimdal;
  const char* windows_legacy;

  const char* operator[](int c) const {
    switch (c) {
      case kWindows:
        return windows;
      case kMit:
        return mit;
      case kHeimdal:
        return heimdal;
      default:
        return windows_legacy;
    }
  }
};

struct Row {
  const char* name;
  Request run;
  PerProfile expected;
};

// S4U2self by `service` for alice.
Request SelfFor(const char* service, const char* spn) {
  return [=](const Kdc& kdc, const KdcWorld& w) {
    KdcResult tgt = Login(kdc, w.corp, service);
    return Describe(S4U2Self(kdc, w.corp, tgt.sealed, spn, "alice"), "forwardable");
  };
}

// S4U2self by `service` for alice, then S4U2proxy to `target` with that evidence.
Request SelfThenProxy(const char* service, const char* spn, const char* target, bool rbcd) {
  return [=](const Kdc& kdc, const KdcWorld& w) {
    KdcResult tgt = Login(kdc, w.corp, service);
    KdcResult self = S4U2Self(kdc, w.corp, tgt.sealed, spn, "alice");
    if (!self.decision.allowed()) return Describe(self, "forwardable");
    return Describe(S4U2Proxy(kdc, w.corp, tgt.sealed, self.sealed, target, rbcd), "forwardable");
  };
}

// `user` gets a ticket to `service`'s SPN; `service` uses it as evidence towards `target`.
Request TicketThenProxy(const char* user, const char* service, const char* spn, const char* target,
                        bool rbcd) {
  return [=](const Kdc& kdc, const KdcWorld& w) {
    KdcResult st = UserTicket(kdc, w.corp, user, spn);
    std::string first = Describe(st, "forwardable");
    if (!st.decision.allowed()) return first;
    KdcResult tgt = Login(kdc, w.corp, service);
    return first + " -> " +
           Describe(S4U2Proxy(kdc, w.corp, tgt.sealed, st.sealed, target, rbcd), "forwardable");
  };
}

const std::vector<Row>& Matrix() {
  static const std::vector<Row> rows = {
      {"s4u2self_with_t2a4d",
       SelfFor("svc_pt", kPt),
       {.windows = "allowed by S4U-1; forwardable=set by AC-3",
        .mit = "allowed by S4U-1; forwardable=set by AC-3",
        .heimdal = "allowed by S4U-1; forwardable=set by AC-3",
        .windows_legacy = "allowed by S4U-1; forwardable=set by AC-3"}},

      {"s4u2self_without_t2a4d_with_a2d2",
       SelfFor("svc_kcd", kKcd),
       {.windows = "allowed by S4U-1; forwardable=clear by S4U-2",
        .mit = "allowed by S4U-1; forwardable=clear by S4U-2",
        .heimdal = "allowed by S4U-1; forwardable=clear by S4U-2",
        .windows_legacy = "allowed by S4U-1; forwardable=clear by S4U-2"}},

      // C9: T2A4D=FALSE and an empty A2D2.
      {"s4u2self_without_t2a4d_empty_a2d2",
       SelfFor("svc_app", kApp),
       {.windows = "allowed by S4U-1; forwardable=set by S4U-2",
        .mit = "allowed by S4U-1; forwardable=set by S4U-2",
        .heimdal = "allowed by S4U-1; forwardable=clear by S4U-2",
        .windows_legacy = "allowed by S4U-1; forwardable=set by S4U-2"}},

      // S4U-3: a Kerberos-only service cannot do protocol transition, anywhere.
      {"protocol_transition_kerberos_only",
       SelfThenProxy("svc_kcd", kKcd, kDb, false),
       {.windows = "denied by S4U-3 (KDC_ERR_BADOPTION) because S4U-2",
        .mit = "denied by S4U-3 (KDC_ERR_BADOPTION) because S4U-2",
        .heimdal = "denied by S4U-3 (KDC_ERR_BADOPTION) because S4U-2",
        .windows_legacy = "denied by S4U-3 (KDC_ERR_BADOPTION) because S4U-2"}},

      // C8: RBCD with a non-forwardable S4U2self evidence ticket.
      {"rbcd_with_nonforwardable_s4u2self",
       SelfThenProxy("svc_kcd", kKcd, kRbcd, true),
       {.windows = "denied by RB-2 (KDC_ERR_BADOPTION) because S4U-2",
        .mit = "denied by RB-2 (KDC_ERR_BADOPTION) because S4U-2",
        .heimdal = "denied by RB-2 (KDC_ERR_BADOPTION) because S4U-2",
        .windows_legacy = "allowed by RB-1; forwardable=clear by KCD-6"}},

      // RB-4 rests on C9: Heimdal's S4U2self ticket is not forwardable.
      {"rbcd_after_s4u2self_no_a2d2_no_t2a4d",
       SelfThenProxy("svc_app", kApp, kDb, true),
       {.windows = "allowed by RB-1; forwardable=set by KCD-6",
        .mit = "allowed by RB-1; forwardable=set by KCD-6",
        .heimdal = "denied by RB-2 (KDC_ERR_BADOPTION) because S4U-2",
        .windows_legacy = "allowed by RB-1; forwardable=set by KCD-6"}},

      // RB-1: MIT and Heimdal try RBCD before the A2D2 list; Windows after it.
      {"kcd_and_rbcd_both_allow",
       TicketThenProxy("alice", "svc_pt", kPt, kRbcd, true),
       {.windows = "allowed by DS-9; forwardable=set by UD-5 -> allowed by KCD-1; forwardable=set "
                   "by KCD-6",
        .mit =
            "allowed by DS-9; forwardable=set by UD-5 -> allowed by RB-1; forwardable=set by KCD-6",
        .heimdal =
            "allowed by DS-9; forwardable=set by UD-5 -> allowed by RB-1; forwardable=set by KCD-6",
        .windows_legacy =
            "allowed by DS-9; forwardable=set by UD-5 -> allowed by KCD-1; forwardable=set by "
            "KCD-6"}},

      // C12: FORWARDABLE asked with a non-forwardable TGT.
      {"forwardable_request_from_nonforwardable_tgt",
       [](const Kdc& kdc, const KdcWorld& w) {
         LoginOptions no_fwd;
         no_fwd.forwardable = false;
         KdcResult tgt = Login(kdc, w.corp, "alice", no_fwd);
         return Describe(GetTicket(kdc, w.corp, tgt.sealed, kWeb), "forwardable");
       },
       {.windows = "allowed by DS-9; forwardable=clear by UD-5",
        .mit = "allowed by DS-9; forwardable=clear by UD-5",
        .heimdal = "denied by UD-6 (KDC_ERR_BADOPTION) because UD-5, DS-8",
        .windows_legacy = "allowed by DS-9; forwardable=clear by UD-5"}},

      // C13: ND on the *server* account (svc_nd), then KCD through that server.
      {"ticket_to_nd_server_then_kcd",
       TicketThenProxy("alice", "svc_nd", kNd, kDb, false),
       {.windows = "allowed by DS-9; forwardable=set by UD-5 -> allowed by KCD-1; forwardable=set "
                   "by KCD-6",
        .mit = "allowed by DS-9; forwardable=clear by AC-1 -> denied by KCD-2 (KDC_ERR_BADOPTION) "
               "because AC-1",
        .heimdal =
            "allowed by DS-9; forwardable=clear by AC-1 -> denied by KCD-2 (KDC_ERR_BADOPTION) "
            "because AC-1",
        .windows_legacy =
            "allowed by DS-9; forwardable=set by UD-5 -> allowed by KCD-1; forwardable=set by "
            "KCD-6"}},

      // PU-1 under MIT: no Protected Users concept.
      {"protected_user_as",
       [](const Kdc& kdc, const KdcWorld& w) {
         return Describe(Login(kdc, w.corp, "carol"), "forwardable");
       },
       {.windows = "allowed by DS-8; forwardable=clear by PU-1",
        .mit = "allowed by DS-8; forwardable=set by DS-8",
        .heimdal = "allowed by DS-8; forwardable=clear by PU-1",
        .windows_legacy = "allowed by DS-8; forwardable=clear by PU-1"}},

      // PU-2 under MIT: RC4 pre-authentication is accepted.
      {"protected_user_rc4_preauth",
       [](const Kdc& kdc, const KdcWorld& w) {
         LoginOptions rc4;
         rc4.etype = v1::ETYPE_RC4;
         return Describe(Login(kdc, w.corp, "carol", rc4), "forwardable");
       },
       {.windows = "denied by PU-2 (KDC_ERR_ETYPE_NOTSUPP)",
        .mit = "allowed by DS-8; forwardable=set by DS-8",
        .heimdal = "denied by PU-2 (KDC_ERR_ETYPE_NOTSUPP)",
        .windows_legacy = "denied by PU-2 (KDC_ERR_ETYPE_NOTSUPP)"}},

      // PU-1 end to end: the protected user's ticket as KCD evidence.
      {"protected_user_ticket_as_kcd_evidence",
       TicketThenProxy("carol", "svc_kcd", kKcd, kDb, false),
       {.windows =
            "allowed by DS-9; forwardable=clear by UD-5 -> denied by KCD-2 (KDC_ERR_BADOPTION) "
            "because PU-1",
        .mit = "allowed by DS-9; forwardable=set by UD-5 -> allowed by KCD-1; forwardable=set by "
               "KCD-6",
        .heimdal = "denied by UD-6 (KDC_ERR_BADOPTION) because UD-5, PU-1",
        .windows_legacy =
            "allowed by DS-9; forwardable=clear by UD-5 -> denied by KCD-2 (KDC_ERR_BADOPTION) "
            "because PU-1"}},

      // XR-1 under MIT: no trust-attribute logic, referrals never OK-AS-DELEGATE.
      {"referral_within_forest",
       [](const Kdc& kdc, const KdcWorld& w) {
         KdcResult tgt = Login(kdc, w.corp, "alice");
         return Describe(GetTicket(kdc, w.corp, tgt.sealed, kEmea), "ok_as_delegate");
       },
       {.windows = "allowed by DS-10; ok_as_delegate=set by XR-1",
        .mit = "allowed by DS-10; ok_as_delegate=clear by XR-1",
        .heimdal = "allowed by DS-10; ok_as_delegate=set by XR-1",
        .windows_legacy = "allowed by DS-10; ok_as_delegate=set by XR-1"}},

      // XR-2, then UD-1 under Heimdal: the service ticket needs an OK-AS-DELEGATE referral.
      {"td_service_across_forest_trust",
       [](const Kdc& kdc, const KdcWorld& w) {
         KdcResult tgt = Login(kdc, w.corp, "alice");
         KdcResult ref = GetTicket(kdc, w.corp, tgt.sealed, kFabTd);
         std::string first = Describe(ref, "ok_as_delegate");
         if (!ref.decision.allowed()) return first;
         return first + " -> " +
                Describe(GetTicket(kdc, w.fabrikam, ref.sealed, kFabTd), "ok_as_delegate");
       },
       {.windows =
            "allowed by DS-10; ok_as_delegate=clear by XR-2 -> allowed by DS-9; ok_as_delegate=set "
            "by UD-1",
        .mit =
            "allowed by DS-10; ok_as_delegate=clear by XR-1 -> allowed by DS-9; ok_as_delegate=set "
            "by UD-1",
        .heimdal = "allowed by DS-10; ok_as_delegate=clear by XR-2 -> allowed by DS-9; "
                   "ok_as_delegate=clear by UD-1",
        .windows_legacy =
            "allowed by DS-10; ok_as_delegate=clear by XR-2 -> allowed by DS-9; ok_as_delegate=set "
            "by UD-1"}},
  };
  return rows;
}

TEST(KdcProfiles, RequestMatrixAcrossProfiles) {
  for (int c = 0; c < kColumns; ++c) {
    KdcWorld w;
    Kdc kdc(w.dir, ProfileFor(static_cast<Column>(c)));
    for (const Row& row : Matrix()) {
      SCOPED_TRACE(std::string(row.name) + " under " + kColumnNames[c]);
      EXPECT_EQ(row.run(kdc, w), row.expected[c]);
    }
  }
}

// The matrix must show a difference in every column: if two profiles gave the same answer
// to every request, the table would not be stating where they differ.
TEST(KdcProfiles, EveryProfileDiffersFromWindowsSomewhere) {
  for (int c = kMit; c < kColumns; ++c) {
    bool differs = false;
    for (const Row& row : Matrix()) {
      differs = differs || std::string(row.expected[c]) != row.expected[kWindows];
    }
    EXPECT_TRUE(differs) << kColumnNames[c];
  }
}

TEST(KdcProfiles, FromNameKnowsTheThreeProfiles) {
  for (std::string_view name : {"windows", "MIT", "Heimdal"}) {
    StatusOr<Profile> p = Profile::FromName(name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(p->name, ToLower(name));
  }
  StatusOr<Profile> bad = Profile::FromName("shishi");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(KdcProfiles, ProfileOptionsMatchRulesMdSectionB) {
  Profile w = Profile::Windows();
  Profile m = Profile::Mit();
  Profile h = Profile::Heimdal();
  // C9
  EXPECT_FALSE(w.s4u2self_requires_t2a4d);
  EXPECT_FALSE(m.s4u2self_requires_t2a4d);
  EXPECT_TRUE(h.s4u2self_requires_t2a4d);
  // C12
  EXPECT_FALSE(w.tgs_rejects_forbidden_forwardable);
  EXPECT_FALSE(m.tgs_rejects_forbidden_forwardable);
  EXPECT_TRUE(h.tgs_rejects_forbidden_forwardable);
  // C13
  EXPECT_FALSE(w.server_nd_clears_forwardable);
  EXPECT_TRUE(m.server_nd_clears_forwardable);
  EXPECT_TRUE(h.server_nd_clears_forwardable);
  // C8: the legacy switch is off by default everywhere.
  EXPECT_FALSE(w.legacy_rbcd_nonforwardable_ok);
  EXPECT_FALSE(m.legacy_rbcd_nonforwardable_ok);
  EXPECT_FALSE(h.legacy_rbcd_nonforwardable_ok);
  // PU-*, XR-1
  EXPECT_TRUE(w.protected_users);
  EXPECT_FALSE(m.protected_users);
  EXPECT_TRUE(w.trust_attributes);
  EXPECT_FALSE(m.trust_attributes);
}

}  // namespace
}  // namespace delegsim::kdc::testing
