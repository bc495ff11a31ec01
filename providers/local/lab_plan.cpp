#include "providers/local/lab_plan.hpp"

#include <utility>

#include "core/json_io.hpp"

namespace labctl::providers::local {
namespace {

using Json = nlohmann::ordered_json;
using Argv = std::vector<std::string>;

class PlanBuilder {
 public:
  explicit PlanBuilder(Plan& plan) : m_plan(plan) {}

  // A command that changes only the inside of a namespace we created: no resource of its own.
  void command(const std::string& action, Argv argv) {
    Json params;
    params["argv"] = std::move(argv);
    m_plan.operations.push_back({action, params, true, "", "", ""});
  }

  void resource(const std::string& action, const std::string& kind, const std::string& name,
                Json params) {
    m_plan.operations.push_back({action, std::move(params), true, kind, name, ""});
  }

  // A step that only observes (e.g. waits for VRRP to elect a master).
  void check(const std::string& action, Json params) {
    m_plan.operations.push_back({action, std::move(params), false, "", "", ""});
  }

  void ip_ns(const std::string& action, const std::string& ns, Argv args) {
    Argv argv{"ip", "-n", ns};
    argv.insert(argv.end(), args.begin(), args.end());
    command(action, std::move(argv));
  }

  void sysctl(const std::string& ns, const std::string& setting) {
    command("sysctl", {"ip", "netns", "exec", ns, "sysctl", "-q", "-w", setting});
  }

  // A veth whose two ends are created directly in their namespaces ("" = root namespace).
  void veth(const std::string& ns, const std::string& name, const std::string& peer_ns,
            const std::string& peer) {
    Argv argv{"ip", "link", "add", name};
    if (!ns.empty()) argv.insert(argv.end(), {"netns", ns});
    argv.insert(argv.end(), {"type", "veth", "peer", "name", peer, "netns", peer_ns});
    Json params;
    params["argv"] = std::move(argv);
    params["netns"] = ns;
    params["link"] = name;
    resource("link add", "link", ns.empty() ? name : ns + "/" + name, std::move(params));
  }

  void write_file(const std::string& name, const std::string& path, const std::string& mode,
                  const std::string& content) {
    Json params;
    params["path"] = path;
    params["mode"] = mode;
    params["content"] = content;
    resource("write file", "file", name, std::move(params));
  }

 private:
  Plan& m_plan;
};

std::string cidr(const std::string& address, int prefix) {
  return address + "/" + std::to_string(prefix);
}

Json node_attrs(const Topology& topo, const LabSite& site, const LabNode& node) {
  Json attrs;
  attrs["site"] = site.name;
  attrs["role"] = node.role;
  attrs["name"] = node.name;
  attrs["gateway"] = site.gateway;
  if (node.is_client()) {
    attrs["logical_address"] = node.lan_address;
    attrs["ssh"] = {{"host", node.mgmt_address}, {"port", 22}, {"user", "root"}, {"jump", ""}};
  } else {
    attrs["lan_address"] = node.lan_address;
    attrs["transit_address"] = node.transit_address;
    attrs["transit_gateway"] = site.transit_gateway;
    attrs["redundant"] = site.redundant;
    if (site.redundant) attrs["drain_file"] = node_file(topo, node, "drain");
  }
  return attrs;
}

void add_namespaces(PlanBuilder& b, const Topology& topo) {
  const auto add = [&](const std::string& name, const std::string& ns, Json node) {
    Json params;
    params["argv"] = Argv{"ip", "netns", "add", ns};
    params["netns"] = ns;
    if (!node.is_null()) params["node"] = std::move(node);
    b.resource("netns add", "netns", name, std::move(params));
    b.ip_ns("link set", ns, {"link", "set", "lo", "up"});
  };
  add("transit", topo.transit_netns, nullptr);
  for (const auto& site : topo.sites) {
    add(site.name + "-lan", site.switch_netns, nullptr);
    for (const auto& node : site.nodes) add(node.name, node.netns, node_attrs(topo, site, node));
  }
}

void add_bridge(PlanBuilder& b, const std::string& ns) {
  Json params;
  params["argv"] = Argv{"ip", "-n", ns, "link", "add", k_bridge, "type", "bridge"};
  params["netns"] = ns;
  params["link"] = k_bridge;
  b.resource("link add", "link", ns + "/" + k_bridge, std::move(params));
  b.ip_ns("link set", ns, {"link", "set", k_bridge, "up"});
}

// A node's interface on a switch: veth into the switch namespace, enslaved to its bridge.
void add_port(PlanBuilder& b, const std::string& node_ns, const std::string& ifname,
              const std::string& switch_ns, const std::string& port) {
  b.veth(node_ns, ifname, switch_ns, port);
  b.ip_ns("link set", switch_ns, {"link", "set", port, "master", k_bridge});
  b.ip_ns("link set", switch_ns, {"link", "set", port, "up"});
  b.ip_ns("link set", node_ns, {"link", "set", ifname, "up"});
}

void add_links(PlanBuilder& b, const Topology& topo) {
  add_bridge(b, topo.transit_netns);
  for (const auto& site : topo.sites) {
    add_bridge(b, site.switch_netns);
    for (const auto& node : site.nodes) {
      add_port(b, node.netns, k_lan_if, site.switch_netns, node.switch_port);
      if (node.is_router()) {
        add_port(b, node.netns, k_transit_if, topo.transit_netns, node.transit_port);
      }
    }
  }
  // The host's management path: a /30 veth per client, outside the logical subnet, so the
  // host reaches each sshd without ever routing into the lab (clients do not forward).
  for (const auto* client : topo.clients()) {
    b.veth("", client->mgmt_link, client->netns, k_mgmt_if);
    b.command("addr add",
              {"ip", "addr", "add", cidr(client->mgmt_host_address, 30), "dev", client->mgmt_link});
    b.command("link set", {"ip", "link", "set", client->mgmt_link, "up"});
    b.ip_ns("addr add", client->netns,
            {"addr", "add", cidr(client->mgmt_address, 30), "dev", k_mgmt_if});
    b.ip_ns("link set", client->netns, {"link", "set", k_mgmt_if, "up"});
  }
}

void add_addresses_and_routes(PlanBuilder& b, const Topology& topo) {
  for (const auto& site : topo.sites) {
    for (const auto& node : site.nodes) {
      b.ip_ns("addr add", node.netns,
              {"addr", "add", cidr(node.lan_address, topo.subnet.prefix), "dev", k_lan_if});
      if (node.is_client()) {
        b.ip_ns("route add", node.netns, {"route", "add", "default", "via", site.gateway});
        // New namespaces inherit the host's IPv4 settings: a client must never forward (it
        // would bridge the host's management path into the lab).
        b.sysctl(node.netns, "net.ipv4.ip_forward=0");
        // Short neighbour timers: after a failover the client re-learns which router answers
        // (proxy ARP) for the other sites within seconds instead of after ~30 s.
        // mcast_resolicit: a probe that the old router no longer answers turns into a
        // broadcast request, which the new active router answers by proxy ARP.
        for (const char* setting :
             {"base_reachable_time_ms=1000", "delay_first_probe_time=1", "ucast_solicit=1",
              "mcast_resolicit=1", "retrans_time_ms=500"}) {
          b.sysctl(node.netns, std::string("net.ipv4.neigh.") + k_lan_if + "." + setting);
        }
        continue;
      }
      b.ip_ns(
          "addr add", node.netns,
          {"addr", "add", cidr(node.transit_address, topo.transit.prefix), "dev", k_transit_if});
      b.sysctl(node.netns, "net.ipv4.ip_forward=1");
      b.sysctl(node.netns, std::string("net.ipv4.conf.") + k_lan_if + ".proxy_arp=1");
      b.sysctl(node.netns, std::string("net.ipv4.neigh.") + k_lan_if + ".proxy_delay=0");
      if (site.redundant) continue;  // keepalived installs the /32 routes on the active router
      for (const auto& other : topo.sites) {
        if (other.name == site.name) continue;
        b.ip_ns("route add", node.netns,
                {"route", "add", cidr(other.client().lan_address, 32), "via", other.transit_gateway,
                 "dev", k_transit_if});
      }
    }
  }
}

void add_ssh(PlanBuilder& b, const Topology& topo, const std::string& sshd_path) {
  const std::string client_key = (topo.run_dir / "id_ed25519").string();
  const auto keygen = [&](const std::string& name, const std::string& path) {
    Json params;
    params["argv"] = Argv{"ssh-keygen", "-q", "-t", "ed25519",
                          "-N",         "",   "-C", "labctl " + topo.run_id + " " + name,
                          "-f",         path};
    params["path"] = path;
    params["public_key"] = path + ".pub";
    b.resource("ssh-keygen", "file", name, std::move(params));
  };
  keygen("client-key", client_key);
  Json hosts = Json::array();
  for (const auto* client : topo.clients()) {
    const std::string host_key = node_file(topo, *client, "ssh_host_ed25519_key");
    keygen(client->name + "-host-key", host_key);
    hosts.push_back({{"hosts", Argv{client->lan_address, client->mgmt_address}},
                     {"key_file", host_key + ".pub"}});
  }
  Json authorized;
  authorized["path"] = (topo.run_dir / "authorized_keys").string();
  authorized["mode"] = "0600";
  authorized["assemble"] = "authorized_keys";
  authorized["sources"] = Argv{client_key + ".pub"};
  b.resource("write file", "file", "authorized-keys", std::move(authorized));
  Json known;
  known["path"] = (topo.run_dir / "known_hosts").string();
  known["mode"] = "0600";
  known["assemble"] = "known_hosts";
  known["sources"] = std::move(hosts);
  b.resource("write file", "file", "known-hosts", std::move(known));

  for (const auto* client : topo.clients()) {
    const std::string config = node_file(topo, *client, "sshd_config");
    b.write_file(client->name + "-sshd-config", config, "0600", sshd_config(topo, *client));
    Json params;
    // Its own UTS namespace too, so `hostname` over SSH names the client (the matrix's
    // identity check); sshd daemonizes and keeps its config path in its command line.
    params["argv"] = Argv{"ip",         "netns",
                          "exec",       client->netns,
                          "unshare",    "--uts",
                          "--",         "sh",
                          "-c",         "hostname \"$0\" && exec \"$@\"",
                          client->name, sshd_path,
                          "-f",         config,
                          "-E",         node_file(topo, *client, "sshd.log")};
    params["netns"] = client->netns;
    params["pid_file"] = node_file(topo, *client, "sshd.pid");
    params["match"] = config;
    b.resource("start sshd", "process", client->name + "-sshd", std::move(params));
  }
}

void add_keepalived(PlanBuilder& b, const Topology& topo) {
  for (const auto& site : topo.sites) {
    if (!site.redundant) continue;
    Json routers = Json::array();
    for (const auto& node : site.nodes) {
      if (node.is_client()) continue;
      routers.push_back(node.netns);
      b.write_file(node.name + "-drain", node_file(topo, node, "drain"), "0600", "0\n");
      const std::string config = node_file(topo, node, "keepalived.conf");
      b.write_file(node.name + "-keepalived-config", config, "0600",
                   keepalived_config(topo, site, node));
      Json params;
      params["argv"] = Argv{"ip",
                            "netns",
                            "exec",
                            node.netns,
                            "keepalived",
                            "--vrrp",
                            "--use-file=" + config,
                            "--pid=" + node_file(topo, node, "keepalived.pid"),
                            "--vrrp_pid=" + node_file(topo, node, "keepalived-vrrp.pid")};
      params["netns"] = node.netns;
      params["pid_file"] = node_file(topo, node, "keepalived.pid");
      params["match"] = config;
      b.resource("start keepalived", "process", node.name + "-keepalived", std::move(params));
    }
    Json wait;
    wait["site"] = site.name;
    wait["address"] = site.gateway;
    wait["routers"] = std::move(routers);
    wait["timeout_ms"] = 15000;
    b.check("wait vrrp", std::move(wait));
  }
}

}  // namespace

std::string node_file(const Topology& topo, const LabNode& node, const std::string& suffix) {
  return (topo.run_dir / (node.name + "." + suffix)).string();
}

std::string sshd_config(const Topology& topo, const LabNode& client) {
  // StrictModes is off because the run directory may sit below a group-writable path (a test's
  // temp dir); the key files themselves are 0600 in a 0700 directory.
  return "# labctl local lab " + topo.run_id + ": sshd of " + client.name + "\n" +
         "Port 22\nListenAddress 0.0.0.0\n" + "HostKey " +
         node_file(topo, client, "ssh_host_ed25519_key") + "\n" + "PidFile " +
         node_file(topo, client, "sshd.pid") + "\n" + "AuthorizedKeysFile " +
         (topo.run_dir / "authorized_keys").string() + "\n" +
         "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
         "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
         "StrictModes no\nAllowTcpForwarding yes\nX11Forwarding no\nPermitTunnel no\n"
         "MaxSessions 64\nMaxStartups 100:30:200\nLogLevel VERBOSE\n"
         "Subsystem sftp internal-sftp\n"
         // Every exec runs through root's shell; bash sources /etc/bash.bashrc and ~/.bashrc for
         // a top-level shell started by sshd, i.e. when SHLVL < 1 on entry. With SHLVL=1 it
         // starts at level 2 and skips them, so lab commands neither depend on nor pay for the
         // host operator's shell start-up files (0.5 s per exec on a pyenv host).
         "SetEnv SHLVL=1\n";
}

std::string keepalived_config(const Topology& topo, const LabSite& site, const LabNode& router) {
  const bool is_a = router.role == "router-a";
  const LabNode* peer = nullptr;
  for (const auto& node : site.nodes) {
    if (node.is_router() && node.name != router.name) peer = &node;
  }
  std::string routes;
  for (const auto& other : topo.sites) {
    if (other.name == site.name) continue;
    routes += "    " + cidr(other.client().lan_address, 32) + " via " + other.transit_gateway +
              " dev " + k_transit_if + "\n";
  }
  // Draining writes a 1 into the track file: priority drops by 100 (150 -> 50, below the
  // standby's 100), so the standby preempts and the active router hands over gracefully.
  return "# labctl local lab " + topo.run_id + ": VRRP of " + router.name + "\n" +
         "global_defs {\n  router_id " + router.name + "\n  vrrp_garp_master_delay 1\n" +
         "  vrrp_garp_master_refresh 5\n}\n" + "track_file drain {\n  file \"" +
         node_file(topo, router, "drain") + "\"\n" + "  weight -100\n}\n" + "vrrp_instance " +
         site.name + " {\n" + "  state " + (is_a ? "MASTER" : "BACKUP") + "\n" + "  interface " +
         k_lan_if + "\n" + "  virtual_router_id " + std::to_string(site.vrid) + "\n" +
         "  priority " + (is_a ? "150" : "100") + "\n  advert_int 1\n" + "  unicast_src_ip " +
         router.lan_address + "\n" + "  unicast_peer {\n    " +
         (peer ? peer->lan_address : router.lan_address) + "\n  }\n" +
         "  track_file {\n    drain\n  }\n" + "  virtual_ipaddress {\n" + "    " +
         cidr(site.gateway, topo.subnet.prefix) + " dev " + k_lan_if + "\n" + "    " +
         cidr(site.transit_gateway, topo.transit.prefix) + " dev " + k_transit_if + "\n  }\n" +
         "  virtual_routes {\n" + routes + "  }\n}\n";
}

Plan build_lab_plan(const PlanInput& input) {
  const Topology& topo = input.topo;
  Plan plan{"local", {}, {}};
  PlanBuilder b(plan);
  Json dir;
  dir["path"] = topo.run_dir.string();
  dir["mode"] = "0700";
  b.resource("mkdir", "dir", "run-dir", std::move(dir));
  // The metadata file comes first: `down --expired` finds the lab by it even without state.
  Json meta;
  meta["run_id"] = topo.run_id;
  meta["short_id"] = topo.short_id;
  meta["owner"] = input.owner;
  meta["ttl_expires_at"] = input.ttl_expires_at;
  meta["netns"] = topo.all_netns();
  meta["links"] = topo.host_links();
  meta["dirs"] = Argv{topo.run_dir.string()};
  meta["pids"] = Json::array();
  b.write_file("metadata", topo.meta_file.string(), "0644", json_io::dump(meta) + "\n");
  add_namespaces(b, topo);
  add_links(b, topo);
  add_addresses_and_routes(b, topo);
  add_ssh(b, topo, input.sshd_path);
  add_keepalived(b, topo);
  plan.notes.push_back("local lab " + topo.short_id + ": " + std::to_string(topo.sites.size()) +
                       " sites, clients in " + format_ipv4(topo.subnet.base) + "/" +
                       std::to_string(topo.subnet.prefix) + ", management veths in " +
                       format_ipv4(topo.mgmt.base) + "/24");
  return plan;
}

}  // namespace labctl::providers::local
