#include "matrix/report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace labctl::matrix {
namespace {

const char* verdict(bool ok) { return ok ? "pass" : "fail"; }

nlohmann::ordered_json optional_ms(const std::optional<double>& ms) {
  if (!ms) return nullptr;
  return std::round(*ms * 10.0) / 10.0;
}

// Display width of a UTF-8 string: the count of code points (the table's glyphs are single-width).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return text + std::string(width > w ? width - w : 0, ' ');
}

}  // namespace

Summary summarize(const std::vector<FlowResult>& results, std::string phase, int parallelism,
                  double elapsed_seconds) {
  Summary s{.total = results.size(), .phase = std::move(phase), .parallelism = parallelism,
            .elapsed_seconds = elapsed_seconds};
  s.passed = static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const FlowResult& r) { return r.result; }));
  return s;
}

nlohmann::ordered_json summary_fields(const Summary& summary) {
  nlohmann::ordered_json sum;
  sum["total"] = summary.total;
  sum["passed"] = summary.passed;
  sum["failed"] = summary.failed();
  sum["result"] = verdict(summary.pass());
  sum["phase"] = summary.phase;
  sum["parallelism"] = summary.parallelism;
  sum["elapsedSeconds"] = std::round(summary.elapsed_seconds * 1000.0) / 1000.0;
  return sum;
}

nlohmann::ordered_json to_json(const std::vector<FlowResult>& results,
                               const std::vector<Site>& sites, const Summary& summary) {
  nlohmann::ordered_json flows = nlohmann::ordered_json::array();
  for (const FlowResult& r : results) {
    const Site& src = sites.at(r.flow.src);
    const Site& dst = sites.at(r.flow.dst);
    const Observation& s = r.seen;
    nlohmann::ordered_json f;
    f["src"] = src.name;
    f["dst"] = dst.name;
    f["dstIp"] = dst.ip;
    f["srcIp"] = src.ip;
    f["peerIp"] = s.peer_ip;
    f["defaultGw"] = s.default_gw;
    f["srcHostname"] = s.src_hostname;
    f["dstHostname"] = s.dst_hostname;
    f["srcHostKeySHA256"] = s.src_hostkey_sha256;
    f["dstHostKeySHA256"] = s.dst_hostkey_sha256;
    f["srcIdentityError"] = s.src_identity_error;
    f["dstIdentityError"] = s.dst_identity_error;
    f["ping"] = verdict(r.ping);
    f["sourceIpPreserved"] = verdict(r.source_ip_preserved);
    f["defaultGwUnchanged"] = verdict(r.default_gw_unchanged);
    f["noNat"] = verdict(r.no_nat);
    f["identityCheck"] = verdict(r.identity_check);
    f["result"] = verdict(r.result);
    f["pathSrcIp"] = s.path_src_ip;
    f["pingMs"] = optional_ms(s.ping_ms);
    f["sshMs"] = optional_ms(s.ssh_ms);
    f["error"] = s.error;
    flows.push_back(std::move(f));
  }
  nlohmann::ordered_json out;
  out["flows"] = std::move(flows);
  out["summary"] = summary_fields(summary);
  return out;
}

std::string flow_line(const FlowResult& r, const std::vector<Site>& sites) {
  const Site& src = sites.at(r.flow.src);
  const Site& dst = sites.at(r.flow.dst);
  std::string line = "matrix: " + src.name + " (" + src.ip + ") -> " + dst.name + " (" + dst.ip +
                     "): " + verdict(r.result);
  if (r.result) return line;
  line += " [";
  const auto failing = r.failing_checks();
  for (std::size_t i = 0; i < failing.size(); ++i) line += (i ? "," : "") + failing[i];
  line += "]";
  for (const std::string* detail : {&r.seen.error, &r.seen.src_identity_error,
                                    &r.seen.dst_identity_error}) {
    if (!detail->empty() && line.find(*detail) == std::string::npos) line += " " + *detail;
  }
  return line;
}

nlohmann::ordered_json flow_fields(const FlowResult& r, const std::vector<Site>& sites) {
  const Site& src = sites.at(r.flow.src);
  const Site& dst = sites.at(r.flow.dst);
  nlohmann::ordered_json f;
  f["src"] = src.name;
  f["dst"] = dst.name;
  f["srcIp"] = src.ip;
  f["dstIp"] = dst.ip;
  f["result"] = verdict(r.result);
  f["failing"] = r.failing_checks();
  f["pingMs"] = optional_ms(r.seen.ping_ms);
  f["sshMs"] = optional_ms(r.seen.ssh_ms);
  f["error"] = r.seen.error;
  return f;
}

std::string summary_line(const Summary& s) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << "matrix summary: " << s.passed << "/" << s.total << " passed, result=" << verdict(s.pass())
      << ", phase=" << s.phase << ", parallelism=" << s.parallelism
      << ", elapsed=" << s.elapsed_seconds << "s";
  return out.str();
}

std::string truth_table(const std::vector<FlowResult>& results, const std::vector<Site>& sites) {
  const std::size_t n = sites.size();
  std::vector<std::vector<std::string>> cells(n, std::vector<std::string>(n, "·"));
  for (const FlowResult& r : results) {
    cells[r.flow.src][r.flow.dst] = r.result ? "✓" : "✗ " + r.failing_checks().front();
  }
  std::size_t width = std::string("src\\dst").size();
  for (const Site& site : sites) width = std::max(width, display_width(site.name));
  for (const auto& row : cells) {
    for (const auto& cell : row) width = std::max(width, display_width(cell));
  }
  width += 2;
  const auto row = [&](const std::string& head, const std::vector<std::string>& values) {
    std::string line = pad(head, width);
    for (const auto& value : values) line += pad(value, width);
    line.erase(line.find_last_not_of(' ') + 1);
    return line + "\n";
  };
  std::vector<std::string> names;
  for (const Site& site : sites) names.push_back(site.name);
  std::string table = row("src\\dst", names);
  for (std::size_t i = 0; i < n; ++i) table += row(sites[i].name, cells[i]);
  return table;
}

nlohmann::ordered_json truth_table_fields(const std::vector<FlowResult>& results,
                                          const std::vector<Site>& sites) {
  const std::size_t n = sites.size();
  std::vector<std::vector<nlohmann::ordered_json>> cells(
      n, std::vector<nlohmann::ordered_json>(n, nullptr));
  for (const FlowResult& r : results) {
    cells[r.flow.src][r.flow.dst] =
        r.result ? std::string("pass") : "fail:" + r.failing_checks().front();
  }
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < n; ++i) {
    columns.push_back(sites[i].name);
    nlohmann::ordered_json row = nlohmann::ordered_json::array({sites[i].name});
    for (auto& cell : cells[i]) row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return {{"columns", std::move(columns)}, {"rows", std::move(rows)}};
}

}  // namespace labctl::matrix
