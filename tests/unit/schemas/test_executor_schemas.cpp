#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"
#include "tests/support/temp_dir.hpp"

// schemas/executor-request.schema.json and schemas/executor-result.schema.json: routerd's
// provider-action executor contract (provideraction.routerd.net/v1alpha1).
namespace labctl::json_schema {
namespace {

using nlohmann::json;

std::string schema(const char* name) {
  const std::string text =
      labctl::testing::read_text(std::filesystem::path(LABCTL_SOURCE_DIR) / "schemas" / name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

// The errors of `document` against the schema file `name` ("path: reason" each).
std::vector<std::string> errors(const char* name, const json& document) {
  auto found = validate_against(schema(name), document);
  EXPECT_TRUE(found.has_value()) << (found ? "" : found.error().message);
  std::vector<std::string> out;
  if (found) {
    for (const ValidationError& e : *found) out.push_back(e.path + ": " + e.reason);
  }
  return out;
}

bool has_error_at(const std::vector<std::string>& found, const std::string& path) {
  for (const std::string& e : found) {
    if (e.starts_with(path + ": ")) return true;
  }
  return false;
}

constexpr const char* k_request = "executor-request.schema.json";
constexpr const char* k_result = "executor-result.schema.json";

json seize_request() {
  return {{"apiVersion", "provideraction.routerd.net/v1alpha1"},
          {"kind", "ExecuteActionRequest"},
          {"spec",
           {{"action", "assign-secondary-ip"},
            {"provider", "aws"},
            {"providerRef", "lab"},
            {"target",
             {{"nicRef", "eni-0a1b2c3d"}, {"address", "198.18.0.50"}, {"region", "us-east-1"}}},
            {"parameters",
             {{"ownershipEpoch", 2}, {"allowReassignment", true}, {"previousHolder", "eni-0f"}}},
            {"mode", "execute"},
            {"idempotencyKey", "run/assign-secondary-ip/eni-0a1b2c3d/198.18.0.50/e2"},
            {"context", {{"runId", "20260601T000000Z-cloudedge-d5"}}}}}};
}

TEST(ExecutorRequestSchema, AcceptsEveryActionAndMode) {
  EXPECT_EQ(errors(k_request, seize_request()), std::vector<std::string>{});
  for (const char* action : {"assign-secondary-ip", "unassign-secondary-ip"}) {
    json request = seize_request();
    request["spec"]["action"] = action;
    request["spec"]["mode"] = "dry-run";
    EXPECT_EQ(errors(k_request, request), std::vector<std::string>{}) << action;
  }
  // The forwarding actions need no address; optional keys may be left out.
  for (const char* action : {"ensure-forwarding-enabled", "ensure-forwarding-disabled"}) {
    json request = seize_request();
    request["spec"]["action"] = action;
    request["spec"]["target"].erase("address");
    for (const char* optional : {"providerRef", "parameters", "context"}) {
      request["spec"].erase(optional);
    }
    EXPECT_EQ(errors(k_request, request), std::vector<std::string>{}) << action;
  }
}

// Given an ip action without an address, expect the schema to accept it: the rule is
// providers::parse_request's (tests/unit/executor/test_contract.cpp), so its error can name the
// action. The schema still types the address whenever one is given (RejectsBadValues).
TEST(ExecutorRequestSchema, AddressRuleIsLeftToTheContractCheck) {
  json request = seize_request();
  request["spec"]["target"].erase("address");
  EXPECT_EQ(errors(k_request, request), std::vector<std::string>{});
}

TEST(ExecutorRequestSchema, RejectsBadValues) {
  const std::vector<std::pair<json::json_pointer, json>> bad{
      {json::json_pointer("/apiVersion"), "provideraction.routerd.net/v1"},
      {json::json_pointer("/kind"), "ExecuteActionResult"},
      {json::json_pointer("/spec/action"), "assign-route-table-route"},
      {json::json_pointer("/spec/mode"), "apply"},
      {json::json_pointer("/spec/idempotencyKey"), ""},
      {json::json_pointer("/spec/provider"), 7},
      {json::json_pointer("/spec/parameters"), json::array()},
      {json::json_pointer("/spec/context"), "runId=x"},
      {json::json_pointer("/spec/target/nicRef"), "i-0a1b2c3d"},
      {json::json_pointer("/spec/target/nicRef"), "eni-XYZ"},
      {json::json_pointer("/spec/target/address"), "198.18.0.256"},
      {json::json_pointer("/spec/target/address"), "198.18.0.50/32"},
      {json::json_pointer("/spec/target/address"), "2001:db8::1"},
      {json::json_pointer("/spec/target/region"), "US East 1"},
      {json::json_pointer("/spec/target/region"), ""},
  };
  for (const auto& [pointer, value] : bad) {
    json request = seize_request();
    request[pointer] = value;
    EXPECT_TRUE(has_error_at(errors(k_request, request), pointer.to_string()))
        << pointer.to_string() << " = " << value.dump();
  }
}

// Given an ownershipEpoch that is not a non-negative integer (issue 17: the string "1" bypassed
// the fence), expect an error at it; integers from 0 up are taken.
TEST(ExecutorRequestSchema, OwnershipEpochIsANonNegativeInteger) {
  for (const json& bad : {json("1"), json(1e300), json(1.5), json(-1), json(true), json(nullptr),
                          json::parse("18446744073709551615"), json::parse("9007199254740992"),
                          json::array({1}), json::object()}) {
    json request = seize_request();
    request["spec"]["parameters"]["ownershipEpoch"] = bad;
    EXPECT_TRUE(has_error_at(errors(k_request, request), "/spec/parameters/ownershipEpoch"))
        << bad.dump();
  }
  for (const json& good : {json(0), json(1), json(9007199254740991LL)}) {
    json request = seize_request();
    request["spec"]["parameters"]["ownershipEpoch"] = good;
    EXPECT_EQ(errors(k_request, request), std::vector<std::string>{}) << good.dump();
  }
}

// Given over-long strings (40,000 characters: past the pattern bound too) and keys with control
// characters, expect an error at each and no crash.
TEST(ExecutorRequestSchema, StringsAreBoundedAndPrintable) {
  const std::string huge(40000, 'a');
  const std::vector<std::pair<json::json_pointer, json>> bad{
      {json::json_pointer("/spec/target/nicRef"), "eni-" + huge},
      {json::json_pointer("/spec/target/nicRef"), "eni-" + std::string(61, 'a')},
      {json::json_pointer("/spec/target/address"), "1" + huge},
      {json::json_pointer("/spec/target/region"), huge},
      {json::json_pointer("/spec/idempotencyKey"), huge},
      {json::json_pointer("/spec/idempotencyKey"), std::string(513, 'k')},
      {json::json_pointer("/spec/idempotencyKey"), "k\nforged row"},
      {json::json_pointer("/spec/idempotencyKey"), "k\x1b[31mred"},
      {json::json_pointer("/spec/idempotencyKey"), std::string("k\0k", 3)},
      {json::json_pointer("/spec/idempotencyKey"), "k\x7f"},
      {json::json_pointer("/spec/provider"), huge},
      {json::json_pointer("/spec/providerRef"), huge},
      {json::json_pointer("/spec/parameters/previousHolder"), "eni-" + huge},
      {json::json_pointer("/spec/parameters/replayOf"), huge},
      {json::json_pointer("/spec/context/runId"), "20260601T000000Z-cloudedge-" + huge},
  };
  for (const auto& [pointer, value] : bad) {
    json request = seize_request();
    request[pointer] = value;
    EXPECT_TRUE(has_error_at(errors(k_request, request), pointer.to_string()))
        << pointer.to_string() << " = " << value.get<std::string>().substr(0, 40);
  }
  json request = seize_request();
  request["spec"]["idempotencyKey"] = std::string(512, 'k');
  EXPECT_EQ(errors(k_request, request), std::vector<std::string>{});
}

// Given Azure NIC ids (ARM resource ids, fixed segments in any case) as nicRef and
// previousHolder, expect them taken; and ids that are not an ARM NIC id of ARM's characters
// (another type, "..", a query, a control character, no GUID, over 512 bytes) refused at each.
TEST(ExecutorRequestSchema, TakesArmNicIdsAndNothingLikeThem) {
  const std::string subscription = "/subscriptions/5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";
  const std::string nic = subscription +
                          "/resourceGroups/labctl-20260601T000000Z-cloudedge-d5/providers/"
                          "Microsoft.Network/networkInterfaces/azure-router-a-nic";
  for (const std::string& good :
       {nic, std::string("/SUBSCRIPTIONS/5F1E0C2A-6B7D-4E8F-9A0B-1C2D3E4F5A6B/resourcegroups/"
                         "g(1)/providers/microsoft.network/NETWORKINTERFACES/n_1.x")}) {
    json request = seize_request();
    request["spec"]["provider"] = "azure";
    request["spec"]["target"]["nicRef"] = good;
    request["spec"]["target"]["region"] = "westeurope";
    request["spec"]["parameters"]["previousHolder"] = good;
    EXPECT_EQ(errors(k_request, request), std::vector<std::string>{}) << good;
  }
  const std::string group = subscription + "/resourceGroups/g/providers/";
  for (const std::string& bad :
       {group + "Microsoft.Compute/virtualMachines/vm",
        subscription + "/resourceGroups/../providers/Microsoft.Network/networkInterfaces/n",
        group + "Microsoft.Network/networkInterfaces/n?api-version=1",
        group + "Microsoft.Network/networkInterfaces/n/ipConfigurations/x",
        group + "Microsoft.Network/networkInterfaces/n\nforged",
        std::string("/subscriptions/not-a-guid/resourceGroups/g/providers/"
                    "Microsoft.Network/networkInterfaces/n"),
        group + "Microsoft.Network/networkInterfaces/" + std::string(400, 'n'),
        "https://management.azure.com" + group + "Microsoft.Network/networkInterfaces/n"}) {
    for (const char* pointer : {"/spec/target/nicRef", "/spec/parameters/previousHolder"}) {
      json request = seize_request();
      request[json::json_pointer(pointer)] = bad;
      EXPECT_TRUE(has_error_at(errors(k_request, request), pointer))
          << pointer << " = " << bad.substr(0, 120);
    }
  }
}

// Given OCI VNIC OCIDs (with a region, without one, with a future segment, 255 bytes) as nicRef
// and previousHolder, expect them taken; and anything else OCID-like (another type, upper case,
// a '/', '?', '%', space or control byte, an empty realm or unique part, two future
// parts, 256 bytes) refused, as providers/oci/oci_resources.hpp's is_ocid_of reads them.
TEST(ExecutorRequestSchema, TakesOciVnicOcidsAndNothingLikeThem) {
  const std::string vnic = "ocid1.vnic.oc1.iad.abuwcljr" + std::string(52, 'a');
  const std::string longest = "ocid1.vnic.oc1.iad." + std::string(255 - 19, 'a');
  for (const std::string& good : {vnic, std::string("ocid1.vnic.oc1..aaaa1234"),
                                  std::string("ocid1.vnic.oc2.us-gov-1.fut-1.a-b"), longest}) {
    json request = seize_request();
    request["spec"]["provider"] = "oci";
    request["spec"]["target"]["nicRef"] = good;
    request["spec"]["target"]["region"] = "us-ashburn-1";
    request["spec"]["parameters"]["previousHolder"] = good;
    EXPECT_EQ(errors(k_request, request), std::vector<std::string>{}) << good.substr(0, 60);
  }
  for (const std::string& bad :
       {std::string("ocid1.instance.oc1.iad.aaaa"), std::string("ocid1.vnic.oc1.iad.AAAA"),
        std::string("ocid1.vnic.oc1.iad.aa/../x"), std::string("ocid1.vnic.oc1.iad.aa?x=1"),
        std::string("ocid1.vnic.oc1.iad.a%2f"), std::string("ocid1.vnic.oc1.iad.a b"),
        std::string("ocid1.vnic.oc1.iad.a\nforged"), std::string("ocid1.vnic..iad.aaaa"),
        std::string("ocid1.vnic.oc1.iad."), std::string("ocid1.vnic.oc1"), longest + "a",
        std::string("ocid1.vnic.oc1.iad.f1.f2.aaaa"),
        "ocid1.vnic.oc1.iad." + std::string(400, 'a')}) {
    for (const char* pointer : {"/spec/target/nicRef", "/spec/parameters/previousHolder"}) {
      json request = seize_request();
      request[json::json_pointer(pointer)] = bad;
      EXPECT_TRUE(has_error_at(errors(k_request, request), pointer))
          << pointer << " = " << bad.substr(0, 60);
    }
  }
}

// Expect every schema labctl ships to compile under the validator's pattern rules (no
// patternProperties, no pattern where a failed length bound would not stop validation), and every
// string of the request to carry a maxLength.
TEST(Schemas, AreSafeToMatchOnLongStrings) {
  for (const char* name : {k_request, k_result, "evidence.schema.json", "matrix.schema.json"}) {
    const auto compiled = SchemaValidator::compile(schema(name));
    EXPECT_TRUE(compiled.has_value()) << name << ": " << (compiled ? "" : compiled.error().message);
  }
  std::vector<std::string> unbounded;
  std::vector<std::pair<std::string, json>> pending{{"", json::parse(schema(k_request))}};
  while (!pending.empty()) {
    auto [where, node] = std::move(pending.back());
    pending.pop_back();
    if (!node.is_object()) continue;
    if (node.value("type", "") == "string" && !node.contains("maxLength") &&
        !node.contains("enum")) {
      unbounded.push_back(where);
    }
    for (const auto& [key, child] : node.items()) {
      if (key == "properties") {
        for (const auto& [property, sub] : child.items()) {
          pending.emplace_back(where + "/" + property, sub);
        }
      }
    }
  }
  EXPECT_EQ(unbounded, std::vector<std::string>{});
}

TEST(ExecutorRequestSchema, RejectsMissingAndUnknownKeys) {
  for (const char* key : {"apiVersion", "kind", "spec"}) {
    json request = seize_request();
    request.erase(key);
    EXPECT_TRUE(has_error_at(errors(k_request, request), "/")) << key;
  }
  for (const char* key : {"action", "provider", "target", "mode", "idempotencyKey"}) {
    json request = seize_request();
    request["spec"].erase(key);
    EXPECT_TRUE(has_error_at(errors(k_request, request), "/spec")) << key;
  }
  for (const char* key : {"nicRef", "region"}) {
    json request = seize_request();
    request["spec"]["target"].erase(key);
    EXPECT_TRUE(has_error_at(errors(k_request, request), "/spec/target")) << key;
  }
  json request = seize_request();
  request["metadata"] = json::object();
  request["spec"]["dryRun"] = true;
  request["spec"]["target"]["eni"] = "eni-0a";
  const auto found = errors(k_request, request);
  EXPECT_TRUE(has_error_at(found, "/"));
  EXPECT_TRUE(has_error_at(found, "/spec"));
  EXPECT_TRUE(has_error_at(found, "/spec/target"));
}

json succeeded_result() {
  return {
      {"apiVersion", "provideraction.routerd.net/v1alpha1"},
      {"kind", "ExecuteActionResult"},
      {"status",
       {{"status", "succeeded"},
        {"message", "assigned 198.18.0.50 to eni-0a1b2c3d"},
        {"observed", {{"priorSecondaryIps", json::array()}, {"previousHolderHasAddress", false}}},
        {"undoAvailable", true}}}};
}

TEST(ExecutorResultSchema, AcceptsEveryStatus) {
  EXPECT_EQ(errors(k_result, succeeded_result()), std::vector<std::string>{});
  json failed = succeeded_result();
  failed["status"] = {{"status", "failed"},
                      {"error", "UnauthorizedOperation: not authorized"},
                      {"undoAvailable", false}};
  EXPECT_EQ(errors(k_result, failed), std::vector<std::string>{});
  // Only status.status is required (routerd's contract); apiVersion and kind are optional.
  EXPECT_EQ(errors(k_result, json{{"status", {{"status", "skipped"}}}}),
            std::vector<std::string>{});
}

TEST(ExecutorResultSchema, RejectsBadDocuments) {
  const std::vector<std::pair<json::json_pointer, json>> bad{
      {json::json_pointer("/apiVersion"), "v1"},
      {json::json_pointer("/kind"), "ExecuteActionRequest"},
      {json::json_pointer("/status/status"), "rolledBack"},
      {json::json_pointer("/status/observed"), "priorSourceDestCheck=true"},
      {json::json_pointer("/status/undoAvailable"), "yes"},
      {json::json_pointer("/status/message"), 3},
      {json::json_pointer("/status/error"), json::object()},
  };
  for (const auto& [pointer, value] : bad) {
    json result = succeeded_result();
    result[pointer] = value;
    EXPECT_TRUE(has_error_at(errors(k_result, result), pointer.to_string()))
        << pointer.to_string() << " = " << value.dump();
  }
  json closed = succeeded_result();
  closed["spec"] = json::object();
  closed["status"]["credentials"] = "dummy";
  const auto found = errors(k_result, closed);
  EXPECT_TRUE(has_error_at(found, "/"));
  EXPECT_TRUE(has_error_at(found, "/status"));
  EXPECT_TRUE(has_error_at(errors(k_result, json::object()), "/"));
  json no_status = succeeded_result();
  no_status["status"].erase("status");
  EXPECT_TRUE(has_error_at(errors(k_result, no_status), "/status"));
}

}  // namespace
}  // namespace labctl::json_schema
