#pragma once

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// IPv4 text as the clouds' answers and the provider-action contract carry it: every reader
// refuses what is not a dotted quad, so a garbled answer never reads as an address.
namespace labctl::providers {

// True for a dotted-quad IPv4 address ("10.0.1.5"), false for anything else.
[[nodiscard]] inline bool is_ipv4(const std::string& text) {
  in_addr parsed{};
  return !text.empty() && text.size() <= 15 && inet_pton(AF_INET, text.c_str(), &parsed) == 1;
}

// The one address of a contract's target.address: a dotted quad, bare or as a /32; nullopt for
// anything else (another prefix length, a name, garbage).
[[nodiscard]] inline std::optional<std::string> single_address(std::string address) {
  if (address.ends_with("/32")) address.resize(address.size() - 3);
  if (!is_ipv4(address)) return std::nullopt;
  return address;
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
