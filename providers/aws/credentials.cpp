#include "providers/aws/credentials.hpp"

#include <algorithm>
#include <ostream>
#include <vector>

#include <charconv>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/aws/imds.hpp"
#include "providers/aws/shared_config.hpp"
#include "providers/aws/sts.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers::aws {

namespace {

bool non_empty(const std::optional<std::string>& value) { return value && !value->empty(); }

// Credentials from one INI section, or why the section gave none.
std::optional<Credentials> from_section(const std::optional<IniSection>& section,
                                        const std::string& source, std::string& why_not) {
  if (!section) {
    why_not = "no such profile section";
    return std::nullopt;
  }
  const auto get = [&section](const char* key) {
    const auto found = section->find(key);
    return found == section->end() ? std::string() : found->second;
  };
  if (get("aws_access_key_id").empty() || get("aws_secret_access_key").empty()) {
    why_not = "section has no aws_access_key_id/aws_secret_access_key";
    return std::nullopt;
  }
  return Credentials(get("aws_access_key_id"), get("aws_secret_access_key"),
                     get("aws_session_token"), std::nullopt, source);
}

std::string file_status(const std::filesystem::path& path, const std::string& why_not) {
  std::error_code ignored;
  return path.string() + ": " +
         (std::filesystem::exists(path, ignored) ? why_not : "file not found");
}

}  // namespace

Credentials::Credentials(std::string access_key_id, std::string secret_access_key,
                         std::string session_token, std::optional<SystemTime> expiration,
                         std::string source)
    : m_access_key_id(std::move(access_key_id)),
      m_secret_access_key(std::move(secret_access_key)),
      m_session_token(std::move(session_token)),
      m_expiration(expiration),
      m_source(std::move(source)) {}

std::string Credentials::to_string() const {
  const std::size_t shown = std::min<std::size_t>(4, m_access_key_id.size());
  std::string text = "access key ..." + m_access_key_id.substr(m_access_key_id.size() - shown);
  text += " (" + (m_source.empty() ? std::string("unknown source") : m_source);
  if (!m_session_token.empty()) text += ", session token";
  if (m_expiration) text += ", expires " + format_rfc3339(*m_expiration);
  return text + ")";
}

std::ostream& operator<<(std::ostream& out, const Credentials& credentials) {
  return out << credentials.to_string();
}

struct CredentialChain::Slot {
  std::mutex mutex;  // held while fetching, so one caller fetches and the others wait for it
  std::optional<Credentials> credentials;
  SystemTime fetched_at;
};

// One profile's settings (config file overlaid by credentials file) and how errors name it.
struct CredentialChain::Profile {
  SharedFiles files;  // files.profile is this profile's name
  IniSection settings;
  std::string where;  // "/home/u/.aws/config profile \"ci\""

  [[nodiscard]] std::string get(const std::string& key) const { return setting(settings, key); }
  // A role to assume by steps 2: role_arn without web identity (botocore's rule).
  [[nodiscard]] bool assumes_role() const {
    return !get("role_arn").empty() && get("web_identity_token_file").empty();
  }
  [[nodiscard]] bool has_static_keys() const {
    return settings.contains("aws_access_key_id") || settings.contains("aws_secret_access_key");
  }
};

CredentialChain::CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> transport,
                                 std::shared_ptr<Clock> clock,
                                 std::shared_ptr<ProcessRunner> processes)
    : m_env(std::move(env)),
      m_transport(std::move(transport)),
      m_clock(std::move(clock)),
      m_processes(std::move(processes)) {}

Expected<Credentials> CredentialChain::resolve() {
  std::vector<std::string> tried;

  const auto key_id = m_env("AWS_ACCESS_KEY_ID");
  const auto secret = m_env("AWS_SECRET_ACCESS_KEY");
  if (non_empty(key_id) && non_empty(secret)) {
    return Credentials(*key_id, *secret, m_env("AWS_SESSION_TOKEN").value_or(""), std::nullopt,
                       "environment");
  }
  tried.push_back(non_empty(key_id) || non_empty(secret)
                      ? "environment: only one of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY is set"
                      : "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set");

  const SharedFiles files = shared_files(m_env);
  const auto profile = load_profile(files, files.profile);
  if (profile && profile->assumes_role()) return from_assume_role(*profile, {files.profile});
  tried.push_back("assume role: profile \"" + files.profile + "\" has no role_arn");

  const std::string token_file = non_empty(m_env("AWS_WEB_IDENTITY_TOKEN_FILE"))
                                     ? *m_env("AWS_WEB_IDENTITY_TOKEN_FILE")
                                     : (profile ? profile->get("web_identity_token_file") : "");
  if (!token_file.empty()) {
    const auto from_env_or_profile = [&](const char* variable, const char* key) {
      if (const auto value = m_env(variable); non_empty(value)) return *value;
      return profile ? profile->get(key) : std::string();
    };
    return from_web_identity(token_file, from_env_or_profile("AWS_ROLE_ARN", "role_arn"),
                             from_env_or_profile("AWS_ROLE_SESSION_NAME", "role_session_name"),
                             "AWS_WEB_IDENTITY_TOKEN_FILE/profile \"" + files.profile + "\"");
  }
  tried.push_back("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set, no web_identity_token_file");

  std::string why_not;
  if (auto found =
          from_section(credentials_section(files),
                       "shared credentials file profile \"" + files.profile + "\"", why_not)) {
    return *found;
  }
  tried.push_back("shared credentials file (AWS_SHARED_CREDENTIALS_FILE) profile \"" +
                  files.profile + "\" in " + file_status(files.credentials_file, why_not));
  if (profile && !profile->get("credential_process").empty()) return from_process(*profile);
  tried.push_back("credential_process: profile \"" + files.profile + "\" has none");
  if (auto found = from_section(config_section(files),
                                "config file profile \"" + files.profile + "\"", why_not)) {
    return *found;
  }
  tried.push_back("config file (AWS_CONFIG_FILE) profile \"" + files.profile + "\" in " +
                  file_status(files.config_file, why_not));

  if (ascii::lower(m_env("AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
    tried.push_back("instance metadata: skipped, AWS_EC2_METADATA_DISABLED=true");
  } else if (auto found = from_imds()) {
    return *found;
  } else {
    tried.push_back(found.error().message);
  }

  std::string message = "no AWS credentials found; tried, in order:";
  for (const auto& entry : tried) message += "\n  - " + entry;
  message +=
      "\nfix: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
      "temporary credentials), or set AWS_PROFILE to a profile with keys in ~/.aws/credentials "
      "(or role_arn, or credential_process, in ~/.aws/config), or AWS_WEB_IDENTITY_TOKEN_FILE and "
      "AWS_ROLE_ARN, or run on an EC2 instance with an instance profile";
  return fail(ExitCode::provider, message);
}

Expected<Credentials> CredentialChain::cached(const std::string& key, const std::string& what,
                                              const Fetch& fetch) {
  std::shared_ptr<Slot> slot;
  {
    const std::lock_guard lock(m_mutex);
    auto& entry = m_slots[key];
    if (!entry) entry = std::make_shared<Slot>();
    slot = entry;
  }
  const std::lock_guard lock(slot->mutex);
  const SystemTime now = m_clock->now();
  if (slot->credentials) {
    const auto& expiration = slot->credentials->expiration();
    if (!expiration) return *slot->credentials;
    // Refresh k_refresh_margin early, or at half-life for credentials issued shorter than
    // twice the margin (so a short-lived answer is not fetched again on every call).
    const auto margin =
        std::min<SystemTime::duration>(k_refresh_margin, (*expiration - slot->fetched_at) / 2);
    if (now < *expiration - margin) return *slot->credentials;
  }
  auto fetched = fetch();
  if (fetched) {
    slot->credentials = *fetched;
    slot->fetched_at = now;
    return fetched;
  }
  if (slot->credentials && slot->credentials->expiration() &&
      now < *slot->credentials->expiration()) {
    log::warn("aws.credentials.refresh_failed",
              "refreshing " + what +
                  " credentials failed; using the cached ones until they "
                  "expire: " +
                  fetched.error().message);
    return *slot->credentials;
  }
  return fetched;
}

Expected<Credentials> CredentialChain::from_imds() {
  const std::string endpoint = non_empty(m_env("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
                                   ? *m_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                                   : std::string(k_default_imds_endpoint);
  return cached("imds\n" + endpoint, "instance-profile", [&]() -> Expected<Credentials> {
    auto fetched = fetch_imds_credentials(*m_transport, endpoint);
    if (fetched) return fetched;
    return fail(ExitCode::provider,
                "instance metadata at " + endpoint + ": " + fetched.error().message);
  });
}

Expected<Credentials> CredentialChain::from_assume_role(const Profile& profile,
                                                        std::vector<std::string> visited) {
  const std::string source_profile = profile.get("source_profile");
  const std::string credential_source = profile.get("credential_source");
  if (source_profile.empty() == credential_source.empty()) {
    return fail(ExitCode::usage, profile.where +
                                     ": role_arn needs exactly one of source_profile or "
                                     "credential_source (it has " +
                                     (source_profile.empty() ? "neither" : "both") + ")");
  }
  AssumeRoleParams params{profile.get("role_arn"), profile.get("role_session_name"), std::nullopt,
                          profile.get("external_id"), profile.where};
  if (const std::string duration = profile.get("duration_seconds"); !duration.empty()) {
    int seconds = 0;
    const auto [end, error] =
        std::from_chars(duration.data(), duration.data() + duration.size(), seconds);
    if (error != std::errc() || end != duration.data() + duration.size()) {
      return fail(ExitCode::usage, profile.where + ": duration_seconds \"" +
                                       ::labctl::text::printable(duration, 32) +
                                       "\" is not a whole number of seconds");
    }
    params.duration_seconds = seconds;
  }
  const std::string key = "assume-role\n" + profile.where + "\n" + params.role_arn + "\n" +
                          params.role_session_name + "\n" + params.external_id + "\n" +
                          source_profile + "\n" + credential_source;
  if (params.role_session_name.empty()) params.role_session_name = default_session_name();
  TRY(check_assume_role_params(params));
  return cached(key, "assumed-role", [&]() -> Expected<Credentials> {
    Expected<Credentials> source = credential_source.empty()
                                       ? from_source_profile(profile, source_profile, visited)
                                       : from_credential_source(profile, credential_source);
    if (!source) return source;
    const std::string region = resolve_region(m_env).value_or("us-east-1");
    return sts_assume_role(*m_transport, *m_clock,
                           StsTarget{resolve_sts_endpoint(region, m_env), region}, params, *source);
  });
}

Expected<Credentials> CredentialChain::from_source_profile(const Profile& parent,
                                                           const std::string& name,
                                                           std::vector<std::string> visited) {
  const auto profile = load_profile(parent.files, name);
  if (!profile) {
    return fail(ExitCode::usage, parent.where + ": source_profile \"" +
                                     ::labctl::text::printable(name, 64) + "\" is in neither " +
                                     parent.files.config_file.string() + " nor " +
                                     parent.files.credentials_file.string());
  }
  // A profile may name itself as its source to use its own keys; any other repeat is a loop.
  const bool self_with_keys = name == parent.files.profile && profile->has_static_keys();
  if (!self_with_keys && std::ranges::find(visited, name) != visited.end()) {
    std::string chain;
    for (const auto& step : visited) chain += "\"" + step + "\" -> ";
    return fail(ExitCode::usage, parent.where + ": source_profile loop " + chain + "\"" + name +
                                     "\"; end the chain at a profile with keys");
  }
  visited.push_back(name);
  if (!self_with_keys && !profile->has_static_keys() && profile->assumes_role()) {
    return from_assume_role(*profile, std::move(visited));
  }
  // The profile's own sources, in the chain's order, without the environment (botocore).
  if (const std::string token_file = profile->get("web_identity_token_file"); !token_file.empty()) {
    return from_web_identity(token_file, profile->get("role_arn"),
                             profile->get("role_session_name"), profile->where);
  }
  std::string why_not;
  if (auto found = from_section(credentials_section(profile->files),
                                "shared credentials file profile \"" + name + "\"", why_not)) {
    return *found;
  }
  if (!profile->get("credential_process").empty()) return from_process(*profile);
  if (auto found = from_section(config_section(profile->files),
                                "config file profile \"" + name + "\"", why_not)) {
    return *found;
  }
  return fail(ExitCode::usage, parent.where + ": source_profile \"" + name +
                                   "\" has no credentials (aws_access_key_id and "
                                   "aws_secret_access_key, credential_process, "
                                   "web_identity_token_file or role_arn)");
}

Expected<Credentials> CredentialChain::from_credential_source(const Profile& profile,
                                                              const std::string& source) {
  if (source == "Environment") {
    const auto key_id = m_env("AWS_ACCESS_KEY_ID");
    const auto secret = m_env("AWS_SECRET_ACCESS_KEY");
    if (!non_empty(key_id) || !non_empty(secret)) {
      return fail(ExitCode::provider, profile.where +
                                          ": credential_source Environment, but "
                                          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set");
    }
    return Credentials(*key_id, *secret, m_env("AWS_SESSION_TOKEN").value_or(""), std::nullopt,
                       "environment");
  }
  if (source == "Ec2InstanceMetadata") {
    if (ascii::lower(m_env("AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
      return fail(ExitCode::provider, profile.where +
                                          ": credential_source Ec2InstanceMetadata, but "
                                          "AWS_EC2_METADATA_DISABLED=true");
    }
    return from_imds();
  }
  return fail(ExitCode::usage, profile.where + ": credential_source \"" +
                                   ::labctl::text::printable(source, 64) +
                                   "\" is not supported (want Environment or "
                                   "Ec2InstanceMetadata; EcsContainer is not implemented)");
}

Expected<Credentials> CredentialChain::from_web_identity(const std::string& token_file,
                                                         std::string role_arn,
                                                         std::string session_name,
                                                         const std::string& where) {
  if (role_arn.empty()) {
    return fail(ExitCode::usage, where +
                                     ": a web identity token file is set but no role: set "
                                     "AWS_ROLE_ARN (or role_arn in the profile)");
  }
  const std::string key = "web-identity\n" + token_file + "\n" + role_arn + "\n" + session_name;
  if (session_name.empty()) session_name = default_session_name();
  AssumeRoleParams params{std::move(role_arn), std::move(session_name), std::nullopt, {}, where};
  TRY(check_assume_role_params(params));
  return cached(key, "web-identity", [&]() -> Expected<Credentials> {
    // Read on every fetch: the token file is rotated (Kubernetes, GitHub Actions).
    auto token = read_file(token_file, k_max_web_identity_token_bytes);
    if (!token) {
      return fail(ExitCode::usage, where + ": web identity token file: " + token.error().message);
    }
    const std::string trimmed(ascii::trim(*token));
    const std::string region = resolve_region(m_env).value_or("us-east-1");
    return sts_assume_role_with_web_identity(*m_transport, *m_clock,
                                             StsTarget{resolve_sts_endpoint(region, m_env), region},
                                             params, trimmed);
  });
}

Expected<Credentials> CredentialChain::from_process(const Profile& profile) {
  const std::string command = profile.get("credential_process");
  return cached("process\n" + command, "credential_process", [&]() -> Expected<Credentials> {
    auto argv = split_command_line(command);
    if (!argv) return fail(ExitCode::usage, profile.where + ": " + argv.error().message);
    const std::string what = profile.where + ": credential_process `" +
                             ::labctl::text::printable(argv->front(), 128) + "`";
    if (!m_processes) {
      return fail(ExitCode::usage, what + " cannot run here (no process runner was given)");
    }
    ProcessRequest request;
    request.argv = std::move(*argv);
    request.timeout = k_process_timeout;
    auto ran = m_processes->run(request);
    if (!ran) return fail(ExitCode::provider, what + ": " + ran.error().message);
    if (ran->timed_out) {
      return fail(ExitCode::provider, what + ": no answer within " +
                                          std::to_string(k_process_timeout.count()) + " s; killed");
    }
    if (ran->exit_code != 0) {
      // stderr is shown (it says why); stdout never is (it may hold a secret).
      return fail(ExitCode::provider,
                  what + ": exited " +
                      (ran->term_signal != 0 ? "on signal " + std::to_string(ran->term_signal)
                                             : "with " + std::to_string(ran->exit_code)) +
                      (ran->err.empty() ? "" : ": " + ::labctl::text::printable(ran->err, 512)));
    }
    return parse_process_output(ran->out, m_clock->now(), what, profile.files.profile);
  });
}

std::string CredentialChain::default_session_name() const {
  return "labctl-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        m_clock->now().time_since_epoch())
                                        .count());
}

std::optional<CredentialChain::Profile> CredentialChain::load_profile(const SharedFiles& files,
                                                                      const std::string& name) {
  auto settings = profile_settings(files, name);
  if (!settings) return std::nullopt;
  SharedFiles named = files;
  named.profile = name;
  return Profile{std::move(named), std::move(*settings),
                 files.config_file.string() + " profile \"" + name + "\""};
}

Expected<Credentials> parse_process_output(std::string_view out, SystemTime now,
                                           const std::string& what, const std::string& profile) {
  if (out.size() > CredentialChain::k_max_process_output_bytes) {
    return fail(ExitCode::provider,
                what + ": printed " + std::to_string(out.size()) + " bytes (more than " +
                    std::to_string(CredentialChain::k_max_process_output_bytes) + ")");
  }
  // Not json_io::parse's message: a parser's message may quote the document, i.e. the secret.
  const auto json = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return fail(ExitCode::provider, what + ": stdout is not a JSON object");
  const auto text_of = [&json](const char* key) -> std::optional<std::string> {
    const auto found = json.find(key);
    if (found == json.end() || found->is_null()) return std::string();
    if (!found->is_string()) return std::nullopt;
    return found->get<std::string>();
  };
  const auto version = json.find("Version");
  if (version == json.end() || !version->is_number_integer() || version->get<long long>() != 1) {
    return fail(ExitCode::provider, what + ": \"Version\" must be the number 1");
  }
  const auto key_id = text_of("AccessKeyId");
  const auto secret = text_of("SecretAccessKey");
  const auto token = text_of("SessionToken");
  const auto expires = text_of("Expiration");
  const auto ascii = [](const std::optional<std::string>& value, bool required) {
    if (!value) return false;
    if (value->empty()) return !required;
    return value->size() <= 16384 &&
           std::ranges::all_of(*value, [](char c) { return c > ' ' && c < 0x7f; });
  };
  if (!ascii(key_id, true) || !ascii(secret, true) || !ascii(token, false) || !expires) {
    return fail(ExitCode::provider,
                what +
                    ": AccessKeyId and SecretAccessKey must be non-empty strings of printable "
                    "ASCII (SessionToken and Expiration, if present, strings)");
  }
  std::optional<SystemTime> expiration;
  if (!expires->empty()) {
    expiration = parse_rfc3339(*expires);
    if (!expiration) return fail(ExitCode::provider, what + ": Expiration is not RFC 3339");
    if (*expiration <= now) {
      return fail(ExitCode::provider,
                  what + ": its credentials expired at " + format_rfc3339(*expiration));
    }
  }
  return Credentials(*key_id, *secret, *token, expiration,
                     "credential_process of profile \"" + profile + "\"");
}

Expected<std::string> resolve_region(const EnvLookup& env) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const auto value = env(variable); non_empty(value)) return *value;
  }
  const SharedFiles files = shared_files(env);
  if (const auto section = config_section(files)) {
    if (const auto found = section->find("region");
        found != section->end() && !found->second.empty()) {
      return found->second;
    }
  }
  return fail(ExitCode::usage,
              "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or add `region = ...` to "
              "profile \"" +
                  files.profile + "\" in " + files.config_file.string() + " (AWS_CONFIG_FILE)");
}

}  // namespace labctl::providers::aws
