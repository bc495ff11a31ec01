#pragma once

#include <string>

#include "core/process.hpp"

namespace labctl::providers::local {

// True when `address` is configured on the site interface (lan0) inside `netns`, i.e. that
// router is VRRP master for it. False also when the namespace is gone.
[[nodiscard]] bool netns_holds_address(ProcessRunner& runner, const std::string& netns,
                                       const std::string& address);

}  // namespace labctl::providers::local
