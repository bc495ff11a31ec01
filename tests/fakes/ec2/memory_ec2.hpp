#pragma once

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_transport.hpp"

namespace labctl::testing {

// An in-memory EC2 behind a FakeHttpTransport, for unit tests of the aws provider's apply and
// teardown without the binary or the Python fake (tests/fakes/ec2/ec2_fake.py). It keeps the
// resources labctl creates (with their tags), answers the Query API calls the provider sends,
// and records every call in order. Only what those tests need: describes filter by id,
// instance-state-name, key-name and tag:<key> only; no pagination (one page, no nextToken).
// RunInstances makes an ENI and a root volume with the instance (gone when it terminates), as
// EC2 does. The behaviours of other EC2 implementations labctl must survive can be switched on:
// create-time tags dropped per type, a tag index that keeps deleted resources' tags, deletes
// of a type answered with success while nothing is deleted.
class MemoryEc2 {
 public:
  struct Call {
    std::string action;
    std::map<std::string, std::string> params;  // decoded form fields, Action included
  };
  struct Resource {
    std::string kind;  // vpc, subnet, instance, ...
    std::map<std::string, std::string> tags;
    std::string state = "available";  // instances: pending/running/shutting-down/terminated
    std::string vpc_id;
    std::string name;      // key pairs: KeyName
    std::string instance;  // ENIs and volumes made by RunInstances: their instance
  };
  // Runs before each call is answered (a test checks the state store at that moment).
  using Observer = std::function<void(const Call&)>;

  MemoryEc2() : m_transport(std::make_shared<FakeHttpTransport>()) {
    m_transport->set_handler(
        [this](const FakeHttpTransport::Request& request) { return answer(request); });
  }

  [[nodiscard]] std::shared_ptr<FakeHttpTransport> transport() const { return m_transport; }

  void observe(Observer observer) {
    const std::lock_guard lock(m_mutex);
    m_observer = std::move(observer);
  }
  // The next `times` calls of `action` fail with `code` (HTTP 400), e.g. DependencyViolation.
  void fail_next(const std::string& action, const std::string& code, int times) {
    const std::lock_guard lock(m_mutex);
    m_failures[action] = {code, times};
  }
  // TerminateInstances answers "shutting-down"; the instances reach "terminated" after this
  // many describes of them.
  void set_describes_until_terminated(int describes) {
    const std::lock_guard lock(m_mutex);
    m_describes_until_terminated = describes;
  }
  // Creates of these kinds ignore their TagSpecification (e.g. "network-interface").
  void drop_create_tags(std::set<std::string> kinds) {
    const std::lock_guard lock(m_mutex);
    m_drop_tags = std::move(kinds);
  }
  // DescribeTags keeps listing the tags of deleted resources (terminated instances included).
  void linger_tags(bool on) {
    const std::lock_guard lock(m_mutex);
    m_linger = on;
  }
  // The delete of `kind` answers success and deletes nothing.
  void ignore_deletes(const std::string& kind) {
    const std::lock_guard lock(m_mutex);
    m_ignored_deletes.insert(kind);
  }
  // Adds a resource labctl did not create (e.g. one without the run tag).
  std::string add(const std::string& kind, std::map<std::string, std::string> tags) {
    const std::lock_guard lock(m_mutex);
    const std::string id = next_id(prefix_of(kind));
    m_resources[id] = Resource{kind, std::move(tags), kind == "instance" ? "running" : "available",
                               "", "", ""};
    return id;
  }

  [[nodiscard]] std::vector<Call> calls() const {
    const std::lock_guard lock(m_mutex);
    return m_calls;
  }
  [[nodiscard]] std::map<std::string, Resource> resources() const {
    const std::lock_guard lock(m_mutex);
    return m_resources;
  }

 private:
  struct KindInfo {
    const char* kind;
    const char* prefix;
    const char* create;         // the create action
    const char* create_path;    // the id's element path in the create's answer
    const char* describe;
    const char* set;            // the describe's item list element
    const char* id_field;
    const char* id_filter;
    const char* remove;
    const char* remove_param;
  };
  static const std::vector<KindInfo>& kinds() {
    static const std::vector<KindInfo> table{
        {"vpc", "vpc-", "CreateVpc", "vpc/vpcId", "DescribeVpcs", "vpcSet", "vpcId", "vpc-id",
         "DeleteVpc", "VpcId"},
        {"subnet", "subnet-", "CreateSubnet", "subnet/subnetId", "DescribeSubnets", "subnetSet",
         "subnetId", "subnet-id", "DeleteSubnet", "SubnetId"},
        {"internet-gateway", "igw-", "CreateInternetGateway", "internetGateway/internetGatewayId",
         "DescribeInternetGateways", "internetGatewaySet", "internetGatewayId",
         "internet-gateway-id", "DeleteInternetGateway", "InternetGatewayId"},
        {"route-table", "rtb-", "CreateRouteTable", "routeTable/routeTableId",
         "DescribeRouteTables", "routeTableSet", "routeTableId", "route-table-id",
         "DeleteRouteTable", "RouteTableId"},
        {"security-group", "sg-", "CreateSecurityGroup", "groupId", "DescribeSecurityGroups",
         "securityGroupInfo", "groupId", "group-id", "DeleteSecurityGroup", "GroupId"},
        {"key-pair", "key-", "CreateKeyPair", "keyPairId", "DescribeKeyPairs", "keySet",
         "keyPairId", "key-pair-id", "DeleteKeyPair", "KeyPairId"},
        {"network-interface", "eni-", "", "", "DescribeNetworkInterfaces",
         "networkInterfaceSet", "networkInterfaceId", "network-interface-id",
         "DeleteNetworkInterface", "NetworkInterfaceId"},
        {"volume", "vol-", "", "", "DescribeVolumes", "volumeSet", "volumeId", "volume-id",
         "DeleteVolume", "VolumeId"},
    };
    return table;
  }
  static const KindInfo* by(const std::string& action, const char* KindInfo::* field) {
    for (const auto& info : kinds()) {
      if (action == info.*field) return &info;
    }
    return nullptr;
  }

  static std::string decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  static std::map<std::string, std::string> form(const std::string& body) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start < body.size()) {
      auto end = body.find('&', start);
      if (end == std::string::npos) end = body.size();
      const std::string pair = body.substr(start, end - start);
      const auto eq = pair.find('=');
      fields[decode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
      start = end + 1;
    }
    return fields;
  }
  // Values of a numbered list: prefix.1, prefix.2, ...
  static std::vector<std::string> list(const std::map<std::string, std::string>& p,
                                       const std::string& prefix) {
    std::vector<std::string> values;
    for (int i = 1;; ++i) {
      const auto it = p.find(prefix + "." + std::to_string(i));
      if (it == p.end()) return values;
      values.push_back(it->second);
    }
  }
  static std::map<std::string, std::vector<std::string>> filters(
      const std::map<std::string, std::string>& p) {
    std::map<std::string, std::vector<std::string>> out;
    for (int i = 1;; ++i) {
      const auto name = p.find("Filter." + std::to_string(i) + ".Name");
      if (name == p.end()) return out;
      out[name->second] = list(p, "Filter." + std::to_string(i) + ".Value");
    }
  }

  std::string next_id(const std::string& prefix) {
    char digits[18];
    std::snprintf(digits, sizeof digits, "%017x", ++m_counter);
    return prefix + digits;
  }
  static std::string prefix_of(const std::string& kind) {
    if (kind == "instance") return "i-";
    for (const auto& info : kinds()) {
      if (kind == info.kind) return info.prefix;
    }
    return "x-";
  }

  static std::string xml(const std::string& action, const std::string& inner) {
    return "<" + action + "Response><requestId>req</requestId>" + inner + "</" + action +
           "Response>";
  }
  // An instance's ENIs and volumes as DescribeInstances and RunInstances list them.
  std::string attached(const std::string& instance) const {
    std::string enis, volumes;
    for (const auto& [id, r] : m_resources) {
      if (r.instance != instance) continue;
      if (r.kind == "network-interface") {
        enis += "<item><networkInterfaceId>" + id + "</networkInterfaceId></item>";
      } else if (r.kind == "volume") {
        volumes += "<item><deviceName>/dev/xvda</deviceName><ebs><volumeId>" + id +
                   "</volumeId></ebs></item>";
      }
    }
    return "<networkInterfaceSet>" + enis + "</networkInterfaceSet><blockDeviceMapping>" +
           volumes + "</blockDeviceMapping>";
  }
  static std::string tag_set(const Resource& r) {
    std::string out = "<tagSet>";
    for (const auto& [key, value] : r.tags) {
      out += "<item><key>" + key + "</key><value>" + value + "</value></item>";
    }
    return out + "</tagSet>";
  }
  static std::string wrap(const std::string& path, const std::string& id) {
    const auto slash = path.find('/');
    if (slash == std::string::npos) return "<" + path + ">" + id + "</" + path + ">";
    const std::string outer = path.substr(0, slash);
    return "<" + outer + ">" + wrap(path.substr(slash + 1), id) + "</" + outer + ">";
  }
  // The tags the create's TagSpecification for `kind` carries (none when they are dropped).
  std::map<std::string, std::string> tags_of(const std::map<std::string, std::string>& p,
                                             const std::string& kind) const {
    std::map<std::string, std::string> tags;
    if (m_drop_tags.contains(kind)) return tags;
    for (int spec = 1;; ++spec) {
      const std::string prefix = "TagSpecification." + std::to_string(spec) + ".";
      const auto type = p.find(prefix + "ResourceType");
      if (type == p.end()) return tags;
      if (type->second != kind) continue;
      for (int i = 1;; ++i) {
        const auto key = p.find(prefix + "Tag." + std::to_string(i) + ".Key");
        if (key == p.end()) return tags;
        tags[key->second] = p.at(prefix + "Tag." + std::to_string(i) + ".Value");
      }
    }
  }
  // Removes a resource; its tags stay in the tag index when tags linger.
  void erase(const std::string& id) {
    const auto it = m_resources.find(id);
    if (it == m_resources.end()) return;
    if (m_linger) m_lingering[id] = it->second;
    m_resources.erase(it);
  }
  bool matches(const std::string& id, const Resource& r,
               const std::map<std::string, std::vector<std::string>>& wanted,
               const char* id_filter) const {
    for (const auto& [name, values] : wanted) {
      const auto in = [&values](const std::string& v) {
        return std::find(values.begin(), values.end(), v) != values.end();
      };
      if (name == id_filter && !in(id)) return false;
      if (name == "instance-state-name" && !in(r.state)) return false;
      if (name == "key-name" && !in(r.name)) return false;
      if (name.starts_with("tag:")) {
        const auto tag = r.tags.find(name.substr(4));
        if (tag == r.tags.end() || !in(tag->second)) return false;
      }
    }
    return true;
  }

  FakeHttpTransport::Result answer(const FakeHttpTransport::Request& request) {
    Call call{"", form(request.body)};
    call.action = call.params["Action"];
    Observer observer;
    {
      const std::lock_guard lock(m_mutex);
      m_calls.push_back(call);
      observer = m_observer;
    }
    if (observer) observer(call);
    const std::lock_guard lock(m_mutex);
    const auto& p = call.params;
    const std::string& action = call.action;
    if (auto failure = m_failures.find(action);
        failure != m_failures.end() && failure->second.second > 0) {
      --failure->second.second;
      return FakeHttpTransport::respond(
          400, "<Response><Errors><Error><Code>" + failure->second.first +
                   "</Code><Message>scripted</Message></Error></Errors><RequestID>req</RequestID>"
                   "</Response>");
    }
    if (action == "DescribeImages") {
      return FakeHttpTransport::respond(
          200, xml(action, "<imagesSet><item><imageId>ami-0123456789abcdef0</imageId>"
                           "<creationDate>2026-01-01T00:00:00.000Z</creationDate></item>"
                           "</imagesSet>"));
    }
    if (action == "RunInstances") {
      const std::string id = next_id("i-");
      const std::string eni = next_id("eni-");
      const std::string volume = next_id("vol-");
      m_resources[id] = Resource{"instance", tags_of(p, "instance"), "running", "", "", ""};
      m_resources[eni] =
          Resource{"network-interface", tags_of(p, "network-interface"), "in-use", "", "", id};
      m_resources[volume] = Resource{"volume", tags_of(p, "volume"), "in-use", "", "", id};
      return FakeHttpTransport::respond(
          200, xml(action, "<instancesSet><item><instanceId>" + id + "</instanceId>" +
                               attached(id) + "</item></instancesSet>"));
    }
    if (action == "CreateTags") {
      std::map<std::string, std::string> tags;
      for (int i = 1; p.contains("Tag." + std::to_string(i) + ".Key"); ++i) {
        tags[p.at("Tag." + std::to_string(i) + ".Key")] =
            p.contains("Tag." + std::to_string(i) + ".Value")
                ? p.at("Tag." + std::to_string(i) + ".Value")
                : "";
      }
      for (const auto& id : list(p, "ResourceId")) {
        if (auto it = m_resources.find(id); it != m_resources.end()) {
          for (const auto& [key, value] : tags) it->second.tags[key] = value;
        }
      }
      return FakeHttpTransport::respond(200, xml(action, "<return>true</return>"));
    }
    if (action == "DescribeTags") {
      const auto wanted = filters(p);
      const auto in = [&wanted](const std::string& filter, const std::string& v) {
        const auto it = wanted.find(filter);
        return it == wanted.end() ||
               std::find(it->second.begin(), it->second.end(), v) != it->second.end();
      };
      std::string items;
      for (const auto* index : {&m_resources, &m_lingering}) {
        for (const auto& [id, r] : *index) {
          for (const auto& [key, value] : r.tags) {
            if (!in("key", key) || !in("value", value)) continue;
            items += "<item><resourceId>" + id + "</resourceId><resourceType>" + r.kind +
                     "</resourceType><key>" + key + "</key><value>" + value + "</value></item>";
          }
        }
      }
      return FakeHttpTransport::respond(200, xml(action, "<tagSet>" + items + "</tagSet>"));
    }
    if (action == "DescribeInstances") {
      const auto wanted = filters(p);
      std::string items;
      std::vector<std::string> terminated;
      for (auto& [id, r] : m_resources) {
        if (r.kind != "instance") continue;
        if (r.state == "shutting-down" && --m_terminating_describes <= 0) {
          r.state = "terminated";
          terminated.push_back(id);
        }
        if (!matches(id, r, wanted, "instance-id")) continue;
        items += "<item><instancesSet><item><instanceId>" + id + "</instanceId><instanceState>"
                 "<name>" + r.state + "</name></instanceState><privateIpAddress>10.0.0.5"
                 "</privateIpAddress>" + attached(id) + tag_set(r) +
                 "</item></instancesSet></item>";
      }
      // DeleteOnTermination: the instance's ENI and root volume go with it.
      for (const auto& instance : terminated) {
        std::vector<std::string> gone;
        for (const auto& [id, r] : m_resources) {
          if (r.instance == instance) gone.push_back(id);
        }
        for (const auto& id : gone) erase(id);
      }
      return FakeHttpTransport::respond(200, xml(action, "<reservationSet>" + items +
                                                             "</reservationSet>"));
    }
    if (action == "TerminateInstances") {
      std::string items;
      for (const auto& id : list(p, "InstanceId")) {
        auto it = m_resources.find(id);
        if (it == m_resources.end()) continue;
        it->second.state = "shutting-down";
        m_terminating_describes = m_describes_until_terminated;
        items += "<item><instanceId>" + id + "</instanceId><currentState><name>shutting-down"
                 "</name></currentState></item>";
      }
      return FakeHttpTransport::respond(200, xml(action, "<instancesSet>" + items +
                                                             "</instancesSet>"));
    }
    if (const auto* info = by(action, &KindInfo::create); info != nullptr && *info->create) {
      const std::string id = next_id(info->prefix);
      m_resources[id] = Resource{info->kind, tags_of(p, info->kind), "available",
                                 p.contains("VpcId") ? p.at("VpcId") : "", "", ""};
      std::string extra;
      if (action == "CreateKeyPair") {
        m_resources[id].name = p.at("KeyName");
        extra = "<keyName>" + p.at("KeyName") + "</keyName><keyMaterial>PEM</keyMaterial>";
      }
      return FakeHttpTransport::respond(200, xml(action, wrap(info->create_path, id) + extra));
    }
    if (action == "AssociateRouteTable") {
      return FakeHttpTransport::respond(
          200, xml(action, "<associationId>" + next_id("rtbassoc-") + "</associationId>"));
    }
    if (const auto* info = by(action, &KindInfo::describe)) {
      const auto wanted = filters(p);
      std::string items;
      for (const auto& [id, r] : m_resources) {
        if (r.kind != info->kind || !matches(id, r, wanted, info->id_filter)) continue;
        items += "<item><" + std::string(info->id_field) + ">" + id + "</" + info->id_field + ">" +
                 "<vpcId>" + r.vpc_id + "</vpcId>" +
                 (r.name.empty() ? "" : "<keyName>" + r.name + "</keyName>") + tag_set(r) +
                 "</item>";
      }
      return FakeHttpTransport::respond(
          200, xml(action, "<" + std::string(info->set) + ">" + items + "</" + info->set + ">"));
    }
    if (const auto* info = by(action, &KindInfo::remove)) {
      auto it = m_resources.find(p.contains(info->remove_param) ? p.at(info->remove_param) : "");
      if (action == "DeleteKeyPair" && p.contains("KeyName")) {
        // By name, an unknown key pair is no error (as in EC2).
        it = std::find_if(m_resources.begin(), m_resources.end(), [&](const auto& entry) {
          return entry.second.kind == "key-pair" && entry.second.name == p.at("KeyName");
        });
        if (it == m_resources.end()) {
          return FakeHttpTransport::respond(200, xml(action, "<return>true</return>"));
        }
      }
      if (it == m_resources.end()) {
        return FakeHttpTransport::respond(
            400, "<Response><Errors><Error><Code>InvalidID.NotFound</Code><Message>gone"
                 "</Message></Error></Errors><RequestID>req</RequestID></Response>");
      }
      if (!m_ignored_deletes.contains(info->kind)) erase(it->first);
      return FakeHttpTransport::respond(200, xml(action, "<return>true</return>"));
    }
    // AttachInternetGateway, AuthorizeSecurityGroupIngress, CreateRoute, DetachInternetGateway,
    // DisassociateRouteTable: accepted, nothing kept.
    return FakeHttpTransport::respond(200, xml(action, "<return>true</return>"));
  }

  std::shared_ptr<FakeHttpTransport> m_transport;
  mutable std::mutex m_mutex;
  Observer m_observer;
  std::vector<Call> m_calls;
  std::map<std::string, Resource> m_resources;
  std::map<std::string, Resource> m_lingering;  // deleted, tags still in the index
  std::set<std::string> m_drop_tags;
  std::set<std::string> m_ignored_deletes;
  bool m_linger = false;
  std::map<std::string, std::pair<std::string, int>> m_failures;
  int m_describes_until_terminated = 1;
  int m_terminating_describes = 0;
  unsigned m_counter = 0;
};

}  // namespace labctl::testing
