#pragma once

#include <string>
#include <vector>

#include "core/state_store.hpp"
#include "providers/aws/ec2_client.hpp"
#include "providers/provider.hpp"

// Which router of an aws run holds a site's service address, as EC2 itself reports it. The
// service address is the secondary private IP the gated executor captured on a router's ENI
// (assign-secondary-ip in the journal); `up` assigns none. Failover timing (gateway_holder) and
// the provider-state judgement (aws_state.cpp) both read it from here.
namespace labctl::providers::aws {

// A router instance of the run (role router, router-a or router-b) as its state row records it.
struct RunRouter {
  std::string node;  // the row's name, e.g. aws-router-a
  std::string site;
  std::string instance_id;
  std::string eni_id;     // attrs.eniId (recorded once the instance ran)
  std::string subnet_id;  // the RunInstances request's NetworkInterface.1.SubnetId
  std::string region;
};

// A service address the journal says one of the run's routers holds: replayed in journal
// order, a capture (assign-secondary-ip that succeeded, or succeeded and was later rolled back)
// gives the address to its ENI, and a succeeded unassign-secondary-ip of the address on that
// ENI (an undo's included) releases it. Only captures on the run's router ENIs count.
struct ServiceAddress {
  std::string address;
  std::string site;
  std::string expected_eni;   // the ENI the journal says holds it
  std::string expected_node;  // its router
  std::string subnet_id;      // where the address lives (EC2 keeps it unique there)
  std::string region;
};

// Who holds an address right now. eni_id "" when no ENI of the subnet holds it; node "" when the
// holder is not one of the run's router ENIs; tagged: the holder carries
// routerd.cloudedge.run_id=<the run>.
struct AddressHolder {
  std::string eni_id;
  std::string node;
  bool tagged = false;
};

// The run's aws router rows that exist (state created), in creation order.
[[nodiscard]] Expected<std::vector<RunRouter>> run_routers(state::Store& store,
                                                           const std::string& run_id);

// The run's service addresses (see ServiceAddress), in the order of their newest capture.
[[nodiscard]] Expected<std::vector<ServiceAddress>> service_addresses(
    state::Store& store, const std::string& run_id, const std::vector<RunRouter>& routers);

// Describes who holds `service.address`: DescribeNetworkInterfaces filtered by
// addresses.private-ip-address and subnet-id (both documented filters of the action), so an
// ENI of another VPC that happens to use the same private address is never mistaken for the
// holder. More than one answer is an error (EC2 keeps an address unique in its subnet).
[[nodiscard]] Expected<AddressHolder> address_holder(const Ec2Client& client,
                                                     const ServiceAddress& service,
                                                     const std::vector<RunRouter>& routers,
                                                     const std::string& run_id);

// Provider::gateway_holder for aws: the router node holding `site`'s newest service address,
// "" while no ENI holds it. The tag fence applies to what is read: an ENI that is not one of
// the run's routers, or that lacks the run's run_id tag, is never reported as a holder but as
// an error (ExitCode::refused) naming it. A site without routers or without a captured service
// address is a usage error saying how to capture one.
[[nodiscard]] Expected<std::string> gateway_holder(const RunContext& ctx, const std::string& site,
                                                   Ec2ClientFactory& factory);

}  // namespace labctl::providers::aws
