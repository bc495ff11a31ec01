#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace labctl::providers::aws {

// Every text these readers return is valid UTF-8 (ill-formed bytes from the endpoint become
// U+FFFD), so an answer's text is safe to log, store and serialise; ids are checked for their
// shape by the caller.

// The text of the first of `names` that is a child of `node`; "" if none is.
[[nodiscard]] std::string text_of_any(pugi::xml_node node,
                                      std::initializer_list<const char*> names);

// The child elements at `path` ("reservationSet/item"): every element named like the last
// segment under the element the rest of the path leads to. Empty if the path is absent.
[[nodiscard]] std::vector<pugi::xml_node> nodes_at(pugi::xml_node node, std::string_view path);

// Text of the element at `path` ("instanceState/name"); "" if absent.
[[nodiscard]] std::string text_at(pugi::xml_node node, std::string_view path);

// A parsed successful EC2 response. Copies share the document, so nodes taken from one stay
// valid while any copy lives.
class Ec2Response {
 public:
  explicit Ec2Response(std::shared_ptr<const pugi::xml_document> document);

  // The document element, e.g. <DescribeInstancesResponse>.
  [[nodiscard]] pugi::xml_node root() const { return m_document->document_element(); }
  [[nodiscard]] std::string text(std::string_view path) const { return text_at(root(), path); }
  [[nodiscard]] std::vector<pugi::xml_node> items(std::string_view path) const {
    return nodes_at(root(), path);
  }
  [[nodiscard]] std::string request_id() const;

 private:
  std::shared_ptr<const pugi::xml_document> m_document;
};

}  // namespace labctl::providers::aws
