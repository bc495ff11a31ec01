// Only documented filters (issue 12): every Describe* filter name labctl sends must be one EC2
// documents for that action. The names come from the tables labctl sends them from (the
// resource types of teardown and discovery, preflight's filters, the `up` plan's parameters);
// the documentation is botocore's EC2 model, whose Filters member of each Describe* input lists
// its filter names as `<li> <p> <code>NAME</code> - ...`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/aws/aws_plan.hpp"
#include "providers/aws/aws_preflight.hpp"
#include "providers/aws/aws_resources.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_run.hpp"

namespace labctl::providers::aws {
namespace {

// Debian's python3-botocore (CI installs it); the EC2 fake validates against the same file.
constexpr const char* k_model_path =
    "/usr/lib/python3/dist-packages/botocore/data/ec2/2016-11-15/service-2.json";

// The filter names one action documents; `tag_key` when it documents `tag:<key>`.
struct DocumentedFilters {
  std::set<std::string> names;
  bool tag_key = false;

  [[nodiscard]] bool allows(const std::string& name) const {
    return name.starts_with("tag:") ? tag_key : names.contains(name);
  }
};

// The first `<code>NAME</code>` of each list item of a Filters documentation string.
// `<code>tag</code>:&lt;key&gt;` (and `<code>tag:&lt;key&gt;</code>`) document tag:<key>.
DocumentedFilters parse_filter_doc(std::string_view doc) {
  DocumentedFilters out;
  constexpr std::string_view k_item = "<li>";
  constexpr std::string_view k_open = "<code>";
  constexpr std::string_view k_close = "</code>";
  constexpr std::string_view k_key = ":&lt;key&gt;";
  for (auto at = doc.find(k_item); at != std::string_view::npos; at = doc.find(k_item, at)) {
    at += k_item.size();
    const auto open = doc.find(k_open, at);
    const auto next_item = doc.find(k_item, at);
    if (open == std::string_view::npos ||
        (next_item != std::string_view::npos && open > next_item)) {
      continue;
    }
    // Only a <code> that opens the item's text (after "<p>" and blanks) names a filter.
    const auto lead = doc.substr(at, open - at);
    if (lead.find_first_not_of(" \n<p>") != std::string_view::npos) continue;
    const auto close = doc.find(k_close, open);
    if (close == std::string_view::npos) break;
    const std::string name(doc.substr(open + k_open.size(), close - open - k_open.size()));
    if (name == "tag" && doc.substr(close + k_close.size()).starts_with(k_key)) {
      out.tag_key = true;
    } else if (name.starts_with("tag:")) {
      out.tag_key = true;
    } else {
      out.names.insert(name);
    }
  }
  return out;
}

// One filter labctl sends: the action, the filter name and where labctl takes it from.
struct FilterUse {
  std::string action;
  std::string name;
  std::string source;
};

class FilterNamesTest : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(k_model_path)) {
      GTEST_SKIP() << k_model_path << " is missing (install python3-botocore)";
    }
    std::ifstream in(k_model_path);
    m_model = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(m_model.is_discarded()) << k_model_path << " is not JSON";
  }

  // The action's documented filters (none when its input has no Filters member).
  [[nodiscard]] DocumentedFilters documented(const std::string& action) const {
    const auto& operation = m_model["operations"].value(action, nlohmann::json::object());
    const std::string input = operation.value("input", nlohmann::json::object()).value("shape", "");
    const auto& shape = m_model["shapes"].value(input, nlohmann::json::object());
    const auto members = shape.value("members", nlohmann::json::object());
    for (const char* member : {"Filters", "Filter"}) {
      if (members.contains(member)) {
        return parse_filter_doc(members[member].value("documentation", ""));
      }
    }
    return {};
  }

  // The Filter.N.Name values of the `up` plan built for `profile_name` (what `up` sends).
  [[nodiscard]] std::vector<FilterUse> plan_filters(const std::string& profile_name) {
    auto loaded =
        profile::load(std::string(LABCTL_SOURCE_DIR) + "/profiles/" + profile_name + ".yaml");
    EXPECT_TRUE(loaded) << loaded.error().message;
    if (!loaded) return {};
    auto store = state::Store::open(tmp.path() / "state");
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return {};
    const auto run =
        labctl::testing::unit_aws_run("20261205T000000Z-cloudedge-filters", profile_name);
    labctl::testing::ManualClock clock;
    const RunContext ctx{
        run,     *loaded, make_tags(run.run_id, run.owner, run.ttl_expires_at, "aws", run.purpose),
        **store, clock,   true};
    auto plan = build_up_plan(ctx);
    EXPECT_TRUE(plan) << plan.error().message;
    if (!plan) return {};
    std::vector<FilterUse> uses;
    for (const auto& operation : plan->operations) {
      for (const auto& [key, value] : operation.params.items()) {
        if (key.starts_with("Filter.") && key.ends_with(".Name") && value.is_string()) {
          uses.push_back({operation.action, value.get<std::string>(),
                          "the up plan of profiles/" + profile_name + ".yaml"});
        }
      }
    }
    return uses;
  }

  [[nodiscard]] std::vector<FilterUse> filters_labctl_sends() {
    std::vector<FilterUse> uses;
    // Teardown and discovery describe each resource type by its id filter.
    for (const auto& type : resource_types()) {
      uses.push_back({type.describe, type.id_filter, "resource_types() (aws_resources.cpp)"});
    }
    for (const auto& use : preflight_filters()) {
      uses.push_back({std::string(use.action), std::string(use.name),
                      "preflight_filters() (aws_preflight.cpp)"});
    }
    for (const char* profile_name : {"minimal", "provider"}) {
      for (auto& use : plan_filters(profile_name)) uses.push_back(std::move(use));
    }
    // Literals inside a function: providers/aws/aws_discover.cpp, the DescribeTags scans by
    // run id ("key" + "value") and for expiry ("key").
    uses.push_back({"DescribeTags", "key", "aws_discover.cpp DescribeTags scan"});
    uses.push_back({"DescribeTags", "value", "aws_discover.cpp DescribeTags scan"});
    return uses;
  }

  nlohmann::json m_model;
};

// Given botocore's model, expect the parser to read DescribeInstances' names (instance-id,
// tag:<key>) and to refuse names the action does not document (an ENI's own filter for
// instances, tag-value for key pairs, tag:<key> for regions): the check can fail.
TEST_F(FilterNamesTest, ParserReadsTheModelsFilterDocumentation) {
  const auto instances = documented("DescribeInstances");
  EXPECT_TRUE(instances.allows("instance-id"));
  EXPECT_TRUE(instances.allows("instance-state-name"));
  EXPECT_TRUE(instances.allows("tag:routerd.cloudedge.run_id"));
  EXPECT_FALSE(instances.allows("network-interface-id"));
  EXPECT_FALSE(instances.allows("tag"));
  EXPECT_GT(instances.names.size(), 50U);

  const auto tags = documented("DescribeTags");
  EXPECT_TRUE(tags.allows("key"));
  EXPECT_TRUE(tags.allows("resource-type"));
  EXPECT_FALSE(tags.allows("customer-gateway")) << "a value inside an item is not a name";

  const auto key_pairs = documented("DescribeKeyPairs");
  EXPECT_TRUE(key_pairs.allows("key-pair-id"));
  EXPECT_FALSE(key_pairs.allows("tag-value"));
  EXPECT_TRUE(documented("DescribeRegions").allows("region-name"));
  EXPECT_FALSE(documented("DescribeRegions").allows("tag:Name"));

  EXPECT_TRUE(documented("AssignPrivateIpAddresses").names.empty());
}

// Given every filter labctl sends, expect each documented for its action in botocore's model.
TEST_F(FilterNamesTest, EveryFilterLabctlSendsIsDocumentedForItsAction) {
  const auto uses = filters_labctl_sends();
  std::set<std::string> actions;
  for (const auto& use : uses) {
    actions.insert(use.action);
    EXPECT_TRUE(documented(use.action).allows(use.name))
        << use.action << " filter \"" << use.name << "\" (from " << use.source
        << ") is not documented for " << use.action << " in " << k_model_path;
  }
  // The sources were read: every resource type, preflight and both plans' describes.
  EXPECT_TRUE(actions.contains("DescribeImages"));
  EXPECT_TRUE(actions.contains("DescribeRouteTables"));
  EXPECT_TRUE(actions.contains("DescribeKeyPairs"));
  EXPECT_GE(uses.size(), resource_types().size() + preflight_filters().size() + 2);
}

}  // namespace
}  // namespace labctl::providers::aws
