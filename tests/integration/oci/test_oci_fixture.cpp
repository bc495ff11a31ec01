// OciFakeTest itself: the fake knows labctl's key under the keyId labctl signs with, and a dry
// `up` of the fixture's profile against it sends no mutating request and leaks no key material.
#include <gtest/gtest.h>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

class OciFixture : public OciFakeTest {};

// Given the fixture's key, expect the fake (which computes the fingerprint from the public key
// itself) to expect exactly the keyId labctl is given: tenancy/user/fingerprint.
TEST_F(OciFixture, FakeExpectsTheKeyIdLabctlSignsWith) {
  const auto state = fake_get("/_fake/state");
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state.value("keyId", ""),
            std::string(k_tenancy) + "/" + k_user + "/" + fingerprint());
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// Given a dry-run `up` of the smallest oci profile, expect exit 0, no create, update or delete
// at the fake, nothing in it, and no key canary in the output.
TEST_F(OciFixture, DryUpSendsNoMutation) {
  const auto up = dry({"up", "--profile", write_oci_profile("oci-dry", {{"oci-router", "router"}})});
  EXPECT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(mutations(), 0U);
  EXPECT_EQ(existing(), std::vector<std::string>{});
  EXPECT_EQ(leaked(up.out + up.err), std::vector<std::string>{});
}

}  // namespace
}  // namespace labctl::testing
