#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace labctl::providers::aws {

// RFC 3986 percent-encoding as SigV4 and the EC2 Query API require: unreserved characters
// (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX with upper-case hex. '/' stays only
// when `keep_slash` (URI paths). providers::percent_encode (providers/url.hpp) with that choice.
[[nodiscard]] std::string uri_encode(std::string_view text, bool keep_slash = false);

struct Ec2Filter {
  std::string name;
  std::vector<std::string> values;
};

struct Ec2Tag {
  std::string key;
  std::string value;
};

// EC2 Query API parameters in insertion order. Lists are 1-based and flattened with dots:
// add_list("InstanceId", {a, b}) gives InstanceId.1=a, InstanceId.2=b.
class QueryParams {
 public:
  QueryParams() = default;
  QueryParams(std::initializer_list<std::pair<std::string, std::string>> entries);

  QueryParams& add(std::string key, std::string value);
  QueryParams& add_list(const std::string& prefix, const std::vector<std::string>& values);
  // Filter.N.Name / Filter.N.Value.M, numbered after any filters already present.
  QueryParams& add_filters(const std::vector<Ec2Filter>& filters);
  // TagSpecification.N.ResourceType / TagSpecification.N.Tag.M.Key|Value.
  QueryParams& add_tag_specification(const std::string& resource_type,
                                     const std::vector<Ec2Tag>& tags);
  // Tag.N.Key / Tag.N.Value (CreateTags).
  QueryParams& add_tags(const std::vector<Ec2Tag>& tags);
  // Flattens JSON in the Query API's shape: objects nest with '.', arrays number from 1,
  // booleans become "true"/"false". {"Filter":[{"Name":"x","Value":["a"]}]} gives
  // Filter.1.Name=x, Filter.1.Value.1=a.
  QueryParams& add_json(const nlohmann::ordered_json& json, const std::string& prefix = "");

  // The value of `key`; nullptr if absent.
  [[nodiscard]] const std::string* find(std::string_view key) const;
  // True if any key starts with `prefix`.
  [[nodiscard]] bool has_prefix(std::string_view prefix) const;
  void set(const std::string& key, std::string value);  // replaces or appends
  void erase(std::string_view key);
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& entries() const {
    return m_entries;
  }

  // application/x-www-form-urlencoded body: key=value pairs joined by '&', uri_encode'd.
  [[nodiscard]] std::string form_encode() const;

 private:
  [[nodiscard]] int next_index(const std::string& prefix) const;

  std::vector<std::pair<std::string, std::string>> m_entries;
};

}  // namespace labctl::providers::aws
