#include "providers/aws/aws_provider.hpp"

#include "providers/aws/aws_plan.hpp"

namespace labctl::providers {
namespace {

class AwsProvider final : public Provider {
 public:
  std::string_view name() const override { return "aws"; }

  Expected<Plan> plan_up(const RunContext& ctx) override { return aws::build_up_plan(ctx); }

  Expected<void> apply_up(const RunContext&, const Plan&) override {
    return fail(ExitCode::provider,
                "provider aws: live provisioning is not in this build yet; use CE_DRY_RUN=1");
  }

  Expected<void> teardown(const RunContext&,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    return fail(ExitCode::provider,
                "provider aws: live teardown is not in this build yet; the resources stay "
                "recorded in state");
  }

  Expected<std::vector<Discovered>> discover(const DiscoverQuery&) override {
    return std::vector<Discovered>{};
  }
};

}  // namespace

std::unique_ptr<Provider> make_aws_provider() { return std::make_unique<AwsProvider>(); }

}  // namespace labctl::providers
