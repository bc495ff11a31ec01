#include "providers/aws/xml.hpp"

#include "core/text.hpp"

namespace labctl::providers::aws {

std::string text_of_any(pugi::xml_node node, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const pugi::xml_node child = node.child(name))
      return ::labctl::text::to_utf8(child.child_value());
  }
  return {};
}

std::vector<pugi::xml_node> nodes_at(pugi::xml_node node, std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string leaf(slash == std::string_view::npos ? path : path.substr(slash + 1));
  const pugi::xml_node parent =
      slash == std::string_view::npos
          ? node
          : node.first_element_by_path(std::string(path.substr(0, slash)).c_str());
  std::vector<pugi::xml_node> out;
  if (!parent) return out;
  for (const pugi::xml_node child : parent.children(leaf.c_str())) out.push_back(child);
  return out;
}

std::string text_at(pugi::xml_node node, std::string_view path) {
  return ::labctl::text::to_utf8(
      node.first_element_by_path(std::string(path).c_str()).child_value());
}

Ec2Response::Ec2Response(std::shared_ptr<const pugi::xml_document> document)
    : m_document(std::move(document)) {}

std::string Ec2Response::request_id() const {
  return text_of_any(root(), {"requestId", "RequestId", "RequestID"});
}

}  // namespace labctl::providers::aws
