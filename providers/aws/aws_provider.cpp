#include "providers/aws/aws_provider.hpp"

#include "labctl/log.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_plan.hpp"

namespace labctl::providers {
namespace {

class AwsProvider final : public Provider {
 public:
  std::string_view name() const override { return "aws"; }

  Expected<Plan> plan_up(const RunContext& ctx) override { return aws::build_up_plan(ctx); }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    auto factory = aws::client_factory(!ctx.dry_run);
    if (!factory) return std::unexpected(factory.error());
    return aws::apply_plan(ctx, plan, **factory);
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    auto factory = aws::client_factory(!ctx.dry_run);
    if (!factory) return std::unexpected(factory.error());
    return aws::teardown_rows(ctx, rows, **factory);
  }

  // Without credentials there is nothing to scan: the janitor says so and goes on (the state
  // and other providers may still have work), as `down --expired` must run without a cloud.
  Expected<std::vector<Discovered>> discover(const DiscoverQuery& query) override {
    const auto regions =
        query.locations.empty() ? aws::janitor_regions(query.profile) : query.locations;
    auto factory = aws::client_factory(false);
    if (!factory) return std::unexpected(factory.error());
    if (auto credentials = (*factory)->credentials(); !credentials) {
      log::warn("aws.discover", "aws: no credentials, so no discovery by tag (" +
                                    credentials.error().message + ")");
      return std::vector<Discovered>{};
    }
    return aws::discover_tagged(query, regions, **factory);
  }

  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    if (request.fault != "stop-active") return Provider::inject_fault(ctx, request);
    auto factory = aws::client_factory(true);
    if (!factory) return std::unexpected(factory.error());
    return aws::stop_active_router(ctx, request, **factory);
  }
};

}  // namespace

std::unique_ptr<Provider> make_aws_provider() { return std::make_unique<AwsProvider>(); }

}  // namespace labctl::providers
