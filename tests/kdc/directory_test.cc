// The directory's indexes and derived keys: lookups by name through the realm and
// NetBIOS indexes (first exact realm, else any case), and inter-realm keys derived on
// first use, the same for the same secret whichever order they are asked in.
#include "kdc/directory.h"

#include <gtest/gtest.h>

#include <string>

#include "kdc/crypto.h"

namespace delegsim::kdc {
namespace {

TEST(Directory, FindDomainByRealmInAnyCaseAndByNetbiosName) {
  Directory dir;
  DomainId corp = dir.AddDomain("CORP.EXAMPLE", "corp.example", kLevel2016);
  DomainId emea = dir.AddDomain("EMEA.CORP.EXAMPLE", "corp.example", kLevel2016);
  DomainId lab = dir.AddDomain("lab1", "lab1", 0, /*workgroup=*/true);
  PrincipalId alice = dir.AddPrincipal(PrincipalKind::kUser, "alice", corp);
  PrincipalId bob = dir.AddPrincipal(PrincipalKind::kUser, "bob", emea);
  PrincipalId op = dir.AddPrincipal(PrincipalKind::kUser, "operator", lab);
  ASSERT_TRUE(dir.Finalize("secret").ok());

  EXPECT_EQ(dir.FindDomain("CORP.EXAMPLE"), corp);
  EXPECT_EQ(dir.FindDomain("corp.Example"), corp);
  EXPECT_EQ(dir.FindDomain("LAB1"), lab);
  EXPECT_EQ(dir.FindDomain("CORP"), std::nullopt);
  EXPECT_EQ(dir.FindDomain(""), std::nullopt);

  EXPECT_EQ(dir.Find("CORP\\alice"), alice);
  EXPECT_EQ(dir.Find("corp.example\\ALICE"), alice);
  EXPECT_EQ(dir.Find("EMEA\\bob"), bob);
  EXPECT_EQ(dir.Find("lab1\\operator"), op);
  EXPECT_EQ(dir.Find("operator@LAB1"), op);
  EXPECT_EQ(dir.Find("EMEA\\alice"), std::nullopt);
  EXPECT_EQ(dir.Find("NOWHERE\\alice"), std::nullopt);
}

TEST(Directory, InterRealmKeysAreDerivedOnUseAndDependOnlyOnTheSecretAndThePair) {
  auto make = [](Directory& dir) {
    for (int i = 0; i < 50; ++i) {
      dir.AddDomain("D" + std::to_string(i) + ".EXAMPLE", "f" + std::to_string(i), kLevel2016);
    }
    return dir.Finalize("seed-1");
  };
  Directory a, b;
  ASSERT_TRUE(make(a).ok());
  ASSERT_TRUE(make(b).ok());
  // Asked in different orders, the keys agree, and they are the derivation of the pair.
  const std::string ab = a.InterRealmKey(3, 17);
  EXPECT_EQ(b.InterRealmKey(17, 3), a.InterRealmKey(17, 3));
  EXPECT_EQ(b.InterRealmKey(3, 17), ab);
  EXPECT_EQ(ab, Hmac("seed-1", "xrealm|d3.example|d17.example"));
  EXPECT_NE(ab, a.InterRealmKey(17, 3));
  EXPECT_EQ(&a.InterRealmKey(3, 17), &a.InterRealmKey(3, 17));  // derived once
  EXPECT_EQ(a.TicketKey("D3.EXAMPLE", "krbtgt/D17.EXAMPLE"), ab);
  EXPECT_EQ(a.TicketKey("D3.EXAMPLE", "krbtgt/D3.EXAMPLE"), a.KrbtgtKey(3));
  // A new secret gives new keys.
  ASSERT_TRUE(a.Finalize("seed-2").ok());
  EXPECT_NE(a.InterRealmKey(3, 17), ab);
}

}  // namespace
}  // namespace delegsim::kdc
