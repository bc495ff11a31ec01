#include "executor/preflight.hpp"

#include <arpa/inet.h>

#include <iostream>

#include "executor/aws_actions.hpp"
#include "executor/run_lookup.hpp"
#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/log.hpp"
#include "core/run_id.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "core/time.hpp"
#include "core/json_io.hpp"

namespace labctl::executor {
namespace {

using providers::aws::Ec2Client;
using providers::aws::text_at;

// True if IPv4 `address` lies in `cidr` ("10.0.1.0/24").
bool in_cidr(const std::string& address, const std::string& cidr) {
  const auto slash = cidr.find('/');
  in_addr a{}, net{};
  if (slash == std::string::npos || inet_pton(AF_INET, address.c_str(), &a) != 1 ||
      inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) {
    return false;
  }
  int bits = 0;
  try {
    bits = std::stoi(cidr.substr(slash + 1));
  } catch (const std::exception&) {
    return false;
  }
  if (bits < 0 || bits > 32) return false;
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

nlohmann::ordered_json check(const std::string& name, bool ok, const std::string& detail) {
  return {{"name", name}, {"status", ok ? "pass" : "fail"}, {"detail", detail}};
}

Expected<nlohmann::ordered_json> describe_instance(const Ec2Client& client, const std::string& eni) {
  providers::aws::QueryParams params;
  params.add_filters({{"network-interface.network-interface-id", {eni}}});
  auto pages = client.call_paged("DescribeInstances", params, "reservationSet/item");
  if (!pages) return std::unexpected(pages.error().to_error());
  for (const auto& reservation : pages->items) {
    for (const auto& instance : providers::aws::nodes_at(reservation, "instancesSet/item")) {
      return nlohmann::ordered_json{{"id", text_at(instance, "instanceId")},
                                    {"state", text_at(instance, "instanceState/name")}};
    }
  }
  return nlohmann::ordered_json();
}

Expected<nlohmann::ordered_json> describe_route_tables(const Ec2Client& client,
                                                       const EniState& eni) {
  auto tables = nlohmann::ordered_json::array();
  // A subnet without an explicit association uses its VPC's main route table.
  for (const auto& filters : std::vector<std::vector<providers::aws::Ec2Filter>>{
           {{"association.subnet-id", {eni.subnet_id}}},
           {{"vpc-id", {eni.vpc_id}}, {"association.main", {"true"}}}}) {
    providers::aws::QueryParams params;
    params.add_filters(filters);
    auto pages = client.call_paged("DescribeRouteTables", params, "routeTableSet/item");
    if (!pages) return std::unexpected(pages.error().to_error());
    for (const auto& table : pages->items) {
      auto routes = nlohmann::ordered_json::array();
      for (const auto& route : providers::aws::nodes_at(table, "routeSet/item")) {
        routes.push_back({{"destination", text_at(route, "destinationCidrBlock")},
                          {"target", providers::aws::text_of_any(
                                         route, {"gatewayId", "natGatewayId", "instanceId",
                                                 "networkInterfaceId", "transitGatewayId",
                                                 "vpcPeeringConnectionId"})}});
      }
      tables.push_back({{"id", text_at(table, "routeTableId")}, {"routes", routes}});
    }
    if (!tables.empty()) break;
  }
  return tables;
}

}  // namespace

Expected<ExitCode> run_preflight(const PreflightOptions& options) {
  if (options.eni.empty() || options.address.empty()) {
    return fail(ExitCode::usage, "preflight: --eni and --address are required");
  }
  auto opened = open_state("preflight");
  if (!opened) return std::unexpected(opened.error());
  auto& store = **opened;
  auto run = resolve_run(store, options.run_id, "preflight");
  if (!run) return std::unexpected(run.error());
  const std::string run_id = run->run_id;
  auto region_found = eni_region(store, run_id, options.eni, options.region, "preflight");
  if (!region_found) return std::unexpected(region_found.error());
  const std::string region = *region_found;

  auto factory = providers::aws::Ec2ClientFactory::from_env(false);
  if (!factory) return std::unexpected(factory.error());
  auto client = (*factory)->client(region);
  if (!client) return std::unexpected(client.error());
  auto eni = describe_eni(**client, options.eni);
  if (!eni) return std::unexpected(eni.error());
  auto instance = describe_instance(**client, options.eni);
  if (!instance) return std::unexpected(instance.error());
  providers::aws::QueryParams subnet_params{{"SubnetId.1", eni->subnet_id}};
  auto subnet_response = (*client)->call("DescribeSubnets", subnet_params);
  if (!subnet_response) return std::unexpected(subnet_response.error().to_error());
  const std::string cidr = subnet_response->text("subnetSet/item/cidrBlock");
  auto tables = describe_route_tables(**client, *eni);
  if (!tables) return std::unexpected(tables.error());

  const auto tag = eni->tags.find(k_tag_run_id);
  const bool ours = tag != eni->tags.end() && tag->second == run_id;
  auto checks = nlohmann::ordered_json::array();
  checks.push_back(check("eni-is-lab-resource", ours,
                         ours ? eni->id + " carries " + k_tag_run_id + "=" + run_id
                              : eni->id + " does not carry " + k_tag_run_id + "=" + run_id));
  checks.push_back(check("address-not-assigned", !eni->holds(options.address),
                         eni->holds(options.address)
                             ? options.address + " is already on " + eni->id + ": the lab is dirty"
                             : options.address + " is not on " + eni->id));
  checks.push_back(check("address-in-subnet", in_cidr(options.address, cidr),
                         options.address + " in " + eni->subnet_id + " (" + cidr + ")"));
  checks.push_back(check("source-dest-check-recorded", true,
                         std::string("SourceDestCheck=") +
                             (eni->source_dest_check ? "true" : "false") +
                             " (the executor will capture it as priorSourceDestCheck)"));
  bool pass = true;
  for (const auto& c : checks) pass = pass && c["status"] == "pass";
  nlohmann::ordered_json tags = nlohmann::ordered_json::object();
  for (const auto& [key, value] : eni->tags) tags[key] = value;
  const nlohmann::ordered_json document{
      {"runId", run_id},
      {"eni",
       {{"id", eni->id},
        {"sourceDestCheck", eni->source_dest_check},
        {"privateIps", eni->secondary_ips},
        {"primaryIp", eni->primary_ip},
        {"subnetId", eni->subnet_id},
        {"vpcId", eni->vpc_id},
        {"tags", tags}}},
      {"instance", *instance},
      {"subnet", {{"id", eni->subnet_id}, {"cidr", cidr}}},
      {"routeTables", *tables},
      {"address", options.address},
      {"region", region},
      {"checks", checks},
      {"result", pass ? "pass" : "fail"},
      {"collectedAt", format_rfc3339_ms(system_clock()->now())}};
  const std::filesystem::path out =
      options.out.empty() ? env::state_dir() / "runs" / run_id / "preflight.json"
                          : std::filesystem::path(options.out);
  if (auto written = write_file_atomic(out, json_io::dump(document, 2) + "\n"); !written) {
    return std::unexpected(written.error());
  }
  if (auto stored = store.set_meta(run_id, "preflight", nlohmann::json(document));
      !stored) {
    return std::unexpected(stored.error());
  }
  for (const auto& c : checks) {
    log::info("preflight.check", c["name"].get<std::string>() + ": " +
                                     c["status"].get<std::string>() + " (" +
                                     c["detail"].get<std::string>() + ")");
  }
  std::cout << out.string() << '\n';
  return pass ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace labctl::executor
