#pragma once

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// What the clouds' preflights (Provider::preflight) share: the check rows of the document and
// the subnet arithmetic (aws: the ENI's subnet, azure: the NIC's).
namespace labctl::providers {

// One row of the preflight document's "checks".
[[nodiscard]] inline nlohmann::ordered_json preflight_check(const std::string& name, bool ok,
                                                            const std::string& detail) {
  return {{"name", name}, {"status", ok ? "pass" : "fail"}, {"detail", detail}};
}

// True if dotted-quad `address` lies in `cidr` ("10.0.1.0/24"); false for anything malformed
// (either side), so a garbled answer never reads as "inside".
[[nodiscard]] inline bool in_cidr(const std::string& address, std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string network(cidr.substr(0, slash));
  const std::string_view bits_text = cidr.substr(slash + 1);
  int bits = -1;
  const auto [end, error] =
      std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  in_addr a{}, net{};
  if (error != std::errc{} || end != bits_text.data() + bits_text.size() || bits < 0 || bits > 32 ||
      inet_pton(AF_INET, address.c_str(), &a) != 1 ||
      inet_pton(AF_INET, network.c_str(), &net) != 1) {
    return false;
  }
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

}  // namespace labctl::providers
