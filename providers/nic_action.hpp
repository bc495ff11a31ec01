#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/text.hpp"
#include "providers/action_contract.hpp"
#include "providers/ipv4.hpp"

// What the NIC actions of the clouds that describe a NIC and then change it (azure's network
// interfaces, oci's VNICs) share around their own steps: the request's shape checks, the prior
// state described before anything else — in execute mode a prior state that cannot be described
// is a hard stop —, the tag fence, the executor's mutation fence; and the runner made of a client factory's reader and its
// throttling-only writer. Each cloud brings its NIC id rule, its describe and its steps.
namespace labctl::providers {

// Runs the common head of `request`, then `step(before, address)` (the cloud's own action;
// `address` the bare private IPv4 of an assign or unassign, "" otherwise). `describe(reader,
// nic_ref)` returns Expected<State>, State having `id` and `tags`.
template <class Reader, class Describe, class Step>
[[nodiscard]] Outcome perform_nic_action(std::string_view provider, const ActionRequest& request,
                                         const std::string& run_id, bool nic_ref_ok,
                                         const std::string& nic_rule, const Reader& reader,
                                         Describe describe, Step step) {
  const std::string where = std::string(provider) + " " + request.action + ": ";
  if (!nic_ref_ok) {
    return action_failed(ExitCode::usage, where + "target.nicRef '" +
                                              text::printable(request.target.nic_ref, 255) +
                                              "' is not " + nic_rule);
  }
  std::string address;
  if (request.action == k_assign || request.action == k_unassign) {
    auto bare = single_address(request.target.address);
    if (!bare) {
      return action_failed(ExitCode::usage,
                           where + "target.address '" +
                               text::printable(request.target.address, 64) +
                               "' is not a private IPv4 address (a.b.c.d or a.b.c.d/32)");
    }
    address = *bare;
  }
  auto before = describe(reader, request.target.nic_ref);
  if (!before) {
    const bool mutating = request.mode == k_mode_execute;
    return action_failed(
        mutating ? ExitCode::refused : before.error().code,
        (mutating ? "hard stop: the state before the action cannot be described: " : "") +
            before.error().message);
  }
  if (auto stop = action_tag_fence(before->id, before->tags, run_id)) return *stop;
  if (auto stop = mutation_fence(request)) return *stop;
  return step(*before, address);
}

// The ActionRunner of `provider`: `factory->client(live)` reads, `factory->writer(live)` (which
// retries only throttling) mutates, and `perform(Clients{reader, writer}, request, run_id)` does
// the action. A scoped credentials profile (aws's executor-fail fault) is refused: only aws has
// one.
template <class Clients, class Factory, class Perform>
[[nodiscard]] ActionRunner nic_action_runner(std::string provider, std::shared_ptr<Factory> factory,
                                             bool live, Perform perform) {
  return [provider = std::move(provider), factory = std::move(factory), live, perform](
             const ActionRequest& request, const std::string& run_id,
             const std::string& credentials_profile) -> Outcome {
    if (!credentials_profile.empty()) {
      return action_failed(ExitCode::usage,
                           "provider " + provider + " has no credentials profiles: cannot run " +
                               request.action + " as '" + text::printable(credentials_profile, 64) +
                               "' (the executor-fail fault's scoped identity is aws's)");
    }
    auto reader = factory->client(live);
    if (!reader) return action_failed(reader.error().code, reader.error().message);
    auto writer = factory->writer(live);
    if (!writer) return action_failed(writer.error().code, writer.error().message);
    return perform(Clients{**reader, **writer}, request, run_id);
  };
}

}  // namespace labctl::providers
