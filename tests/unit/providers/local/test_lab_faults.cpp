#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/unit/providers/local/local_fixture.hpp"

namespace labctl::providers::local {
namespace {

using LocalFaults = LocalFixture;

Error fault_error(Provider& provider, const RunContext& ctx, const std::string& fault) {
  auto result = provider.inject_fault(ctx, {fault, ""});
  EXPECT_FALSE(result);
  return result ? Error{} : result.error();
}

TEST_F(LocalFaults, ExecutorFaultsAreNotApplicable) {
  if (::geteuid() != 0) GTEST_SKIP() << "faults on the local lab are refused without root";
  for (const char* fault : {"executor-fail", "stale-replay"}) {
    const Error error = fault_error(*provider_, ctx(), fault);
    EXPECT_EQ(error.code, ExitCode::usage);
    EXPECT_NE(error.message.find("not applicable on local"), std::string::npos) << error.message;
  }
}

TEST_F(LocalFaults, UnknownFaultNamesTheKnownOnes) {
  if (::geteuid() != 0) GTEST_SKIP() << "faults on the local lab are refused without root";
  const Error error = fault_error(*provider_, ctx(), "stop-everything");
  EXPECT_EQ(error.code, ExitCode::usage);
  EXPECT_NE(error.message.find("stop-active, drain"), std::string::npos) << error.message;
}

TEST_F(LocalFaults, RunWithoutRoutersInStateIsAnError) {
  if (::geteuid() != 0) GTEST_SKIP() << "faults on the local lab are refused without root";
  const Error error = fault_error(*provider_, ctx(), "stop-active");
  EXPECT_EQ(error.code, ExitCode::usage);
  EXPECT_NE(error.message.find("no local routers"), std::string::npos) << error.message;
}

TEST_F(LocalFaults, RefusedWithoutRoot) {
  const int code = as_unprivileged([&] {
    return fault_error(*provider_, ctx(), "stop-active").code == ExitCode::refused ? 0 : 1;
  });
  EXPECT_EQ(code, 0) << "a fault without root must be refused (exit 4)";
}

}  // namespace
}  // namespace labctl::providers::local
