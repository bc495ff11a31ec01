#include "providers/aws/query.hpp"

#include <algorithm>
#include <charconv>

#include "core/json_io.hpp"
#include "providers/url.hpp"

namespace labctl::providers::aws {

namespace {

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  return percent_encode(text, keep_slash ? "/" : "");
}

QueryParams::QueryParams(std::initializer_list<std::pair<std::string, std::string>> entries)
    : m_entries(entries) {}

QueryParams& QueryParams::add(std::string key, std::string value) {
  m_entries.emplace_back(std::move(key), std::move(value));
  return *this;
}

QueryParams& QueryParams::add_list(const std::string& prefix,
                                   const std::vector<std::string>& values) {
  int index = next_index(prefix);
  for (const auto& value : values) add(prefix + "." + std::to_string(index++), value);
  return *this;
}

QueryParams& QueryParams::add_filters(const std::vector<Ec2Filter>& filters) {
  int index = next_index("Filter");
  for (const auto& filter : filters) {
    const std::string prefix = "Filter." + std::to_string(index++);
    add(prefix + ".Name", filter.name);
    add_list(prefix + ".Value", filter.values);
  }
  return *this;
}

QueryParams& QueryParams::add_tag_specification(const std::string& resource_type,
                                                const std::vector<Ec2Tag>& tags) {
  const std::string prefix = "TagSpecification." + std::to_string(next_index("TagSpecification"));
  add(prefix + ".ResourceType", resource_type);
  int index = 1;
  for (const auto& tag : tags) {
    const std::string tag_prefix = prefix + ".Tag." + std::to_string(index++);
    add(tag_prefix + ".Key", tag.key);
    add(tag_prefix + ".Value", tag.value);
  }
  return *this;
}

QueryParams& QueryParams::add_tags(const std::vector<Ec2Tag>& tags) {
  int index = next_index("Tag");
  for (const auto& tag : tags) {
    const std::string prefix = "Tag." + std::to_string(index++);
    add(prefix + ".Key", tag.key);
    add(prefix + ".Value", tag.value);
  }
  return *this;
}

QueryParams& QueryParams::add_json(const nlohmann::ordered_json& json, const std::string& prefix) {
  if (json.is_object()) {
    for (const auto& [key, value] : json.items()) add_json(value, join_key(prefix, key));
  } else if (json.is_array()) {
    int index = 1;
    for (const auto& value : json) add_json(value, prefix + "." + std::to_string(index++));
  } else if (json.is_string()) {
    add(prefix, json.get<std::string>());
  } else if (!json.is_null()) {
    add(prefix, json_io::dump(json));  // numbers and booleans print as the Query API expects
  }
  return *this;
}

const std::string* QueryParams::find(std::string_view key) const {
  const auto found = std::ranges::find(
      m_entries, key, [](const auto& entry) -> std::string_view { return entry.first; });
  return found == m_entries.end() ? nullptr : &found->second;
}

bool QueryParams::has_prefix(std::string_view prefix) const {
  return std::ranges::any_of(
      m_entries, [prefix](const auto& entry) { return entry.first.starts_with(prefix); });
}

void QueryParams::set(const std::string& key, std::string value) {
  for (auto& entry : m_entries) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  add(key, std::move(value));
}

void QueryParams::erase(std::string_view key) {
  std::erase_if(m_entries, [key](const auto& entry) { return entry.first == key; });
}

std::string QueryParams::form_encode() const {
  std::string body;
  for (const auto& [key, value] : m_entries) {
    if (!body.empty()) body += '&';
    body += uri_encode(key) + "=" + uri_encode(value);
  }
  return body;
}

int QueryParams::next_index(const std::string& prefix) const {
  int highest = 0;
  const std::string start = prefix + ".";
  for (const auto& [key, value] : m_entries) {
    if (!key.starts_with(start)) continue;
    int index = 0;
    const char* first = key.data() + start.size();
    const auto [end, error] = std::from_chars(first, key.data() + key.size(), index);
    if (error == std::errc() && end != first) highest = std::max(highest, index);
  }
  return highest + 1;
}

}  // namespace labctl::providers::aws
