#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

// What every cloud's credential code shares: a value that must never be printed, and the scrub
// that keeps an endpoint from echoing one back into a message.
namespace labctl::providers {

// A credential value (a client secret, a bearer token, a federated assertion, a header key)
// with no printable form: no to_string, no operator<< (deleted), no conversion to a string;
// reveal() is the one way to the bytes, for the request that carries them.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}

  [[nodiscard]] const std::string& reveal() const { return m_value; }
  [[nodiscard]] bool empty() const { return m_value.empty(); }

  friend std::ostream& operator<<(std::ostream& out, const Secret& secret) = delete;

 private:
  std::string m_value;
};

// `text` with every occurrence of each secret replaced by "<redacted>", so an endpoint that
// echoes what it was sent (a token, a key, an assertion) cannot move it into a message. Values
// shorter than 4 bytes are left alone: too short to be a credential, they would mangle the text.
[[nodiscard]] inline std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "<redacted>");
    }
  }
  return text;
}

}  // namespace labctl::providers
