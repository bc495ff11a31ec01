#include "labctl/cli/help_table.hpp"

#include <algorithm>
#include <ranges>

namespace labctl::cli {
namespace {

// Who reads the shared families of variables (a command builds the providers, SSH sessions or
// matrix engine that read them).
constexpr std::string_view k_aws = "up down failover evidence action executor preflight";
constexpr std::string_view k_azure = "up down failover evidence action iam-policy";
constexpr std::string_view k_ssh = "up deploy smoke failover";
constexpr std::string_view k_matrix = "smoke failover";
constexpr std::string_view k_local = "up down failover";
constexpr std::string_view k_mutating = "up down deploy failover action executor";

// Sorted by family, then name. A new getenv/env lookup anywhere in the product needs a row here
// (the test_help_table scan fails otherwise).
constexpr EnvVar k_env[] = {
    // Every command.
    {"CE_LOG_FORMAT", "*", "stderr format: human or json (NDJSON events); --log-format wins."},
    {"CE_STATE_DIR", "*",
     "The state database's directory (default ${XDG_STATE_HOME:-$HOME/.local/state}/labctl)."},
    {"CE_STATE_URL", "*",
     "postgresql://user@host:port/db (libpq; PGHOST, PGPASSFILE, sslmode... apply): a state a "
     "team shares instead of CE_STATE_DIR's state.db."},
    {"PGPASSWORD", "*", "libpq's password for CE_STATE_URL; never logged (prefer PGPASSFILE)."},
    {"CE_MACHINE", "*", "This machine's name in runs and leases (default: the host name)."},
    {"CE_LEASE_SECONDS", "*",
     "How long a run's lease holder may miss its heartbeat before another labctl takes the run "
     "over (default 60, 3..86400)."},
    {"XDG_STATE_HOME", "*", "Base of the default state directory when CE_STATE_DIR is unset."},
    {"HOME", "*", "Base of the default state directory, ~/.ssh/known_hosts and the ~/.aws files."},
    {"NO_COLOR", "*",
     "Set (to any value): no live status line and no colour on a terminal, plain lines only."},
    {"CE_DRY_RUN", k_mutating,
     "Exactly 0 to let mutating calls leave the process; unset or anything else is a dry run."},
    // up
    {"CE_OWNER", "up", "Owner tag of every resource (default $USER, else cloudedge-agent)."},
    {"USER", "up", "Owner tag when CE_OWNER is unset; the user in `runs list`'s OWNER."},
    {"CE_PURPOSE", "up", "Purpose tag of every resource (default cloudedge-sam-failover-lab)."},
    {"CE_TTL_MAX", "up", "Longest --ttl accepted (default 24h)."},
    {"CE_PROVIDER_ORDER", "up",
     "declared|cost-optimized|slow-first|fast-first when --provider-order is not given."},
    {"LABCTL_PROFILE_DIR", "up deploy smoke failover evidence iam-policy",
     "Where profile names (minimal, full, ...) are looked up (default: the installed profiles)."},
    // down
    {"CE_JANITOR_PARALLELISM", "down",
     "Runs torn down at once by down --expired (1-256, default 16)."},
    {"CE_JANITOR_TIMEOUT", "down",
     "Seconds for all AWS work of one down --expired (default 3600)."},
    // smoke (and failover --measure's probe flow)
    {"MATRIX_RUNNER", k_matrix,
     "An external command that runs each flow instead of libssh (offline use, tests)."},
    {"CE_MATRIX_SITES", k_matrix, "Sites \"name=ip,...\" when --sites is not given."},
    {"CE_MATRIX_PARALLELISM", k_matrix, "Flows in flight when --parallel is not given."},
    {"CE_MATRIX_PHASE", k_matrix, "Phase label when --phase is not given (default matrix)."},
    {"CE_MATRIX_PING_COUNT", k_matrix, "Pings per flow (default 3)."},
    {"CE_MATRIX_PING_TIMEOUT", k_matrix, "Seconds ping waits per reply (default 2)."},
    {"CE_MATRIX_COMMAND_TIMEOUT", k_matrix,
     "Seconds one flow's remote command may take (default 60)."},
    {"CE_EXPECT_DEFAULT_GW", k_matrix,
     "Expected default gateway, or 'unchanged', when --expect-default-gw is not given."},
    {"CE_<SITE>_CLIENT_SSH_HOST", k_matrix,
     "[user@]host[:port] of the site's client node; wins over the run's state."},
    {"<SITE>_CLIENT_SSH_HOST", k_matrix, "Fallback name of CE_<SITE>_CLIENT_SSH_HOST."},
    {"CE_<SITE>_CLIENT_SSH_USER", k_matrix, "SSH user for the site's client node."},
    {"<SITE>_CLIENT_SSH_USER", k_matrix, "Fallback name of CE_<SITE>_CLIENT_SSH_USER."},
    {"CE_<SITE>_CLIENT_SSH_JUMP", k_matrix, "[user@]host[:port] of a jump host to the site."},
    {"<SITE>_CLIENT_SSH_JUMP", k_matrix, "Fallback name of CE_<SITE>_CLIENT_SSH_JUMP."},
    {"CE_<SITE>_CLIENT_EXPECT_HOSTNAME", k_matrix,
     "Host name the site's client must report (a check of the flow)."},
    {"<SITE>_CLIENT_EXPECT_HOSTNAME", k_matrix,
     "Fallback name of CE_<SITE>_CLIENT_EXPECT_HOSTNAME."},
    {"CE_<SITE>_EXPECT_HOSTNAME", k_matrix, "Fallback name of CE_<SITE>_CLIENT_EXPECT_HOSTNAME."},
    {"<SITE>_EXPECT_HOSTNAME", k_matrix, "Fallback name of CE_<SITE>_CLIENT_EXPECT_HOSTNAME."},
    // SSH (ssh/settings: env > run > profile > default)
    {"SSH_KEY_FILE", k_ssh, "Private key file for every SSH session."},
    {"SSH_AUTH_SOCK", k_ssh, "ssh-agent socket, tried for authentication."},
    {"CE_SSH_USER", k_ssh, "SSH user (default: the run's, the profile's, else ubuntu)."},
    {"SSH_USER", k_ssh, "Fallback name of CE_SSH_USER."},
    {"CLIENT_SSH_USER", k_ssh, "Fallback name of CE_SSH_USER."},
    {"CE_SSH_KNOWN_HOSTS", k_ssh, "known_hosts file (default ~/.ssh/known_hosts)."},
    {"CE_SSH_USER_KNOWN_HOSTS_FILE", k_ssh, "Fallback name of CE_SSH_KNOWN_HOSTS."},
    {"CE_SSH_STRICT_HOST_KEY_CHECKING", k_ssh,
     "yes (default), accept-new or no: what an unknown or changed host key does."},
    {"CE_SSH_CONNECT_TIMEOUT", k_ssh, "Seconds to connect and authenticate (whole number)."},
    // AWS: credentials, endpoints, limits
    {"AWS_ACCESS_KEY_ID", k_aws, "Static credentials (with AWS_SECRET_ACCESS_KEY)."},
    {"AWS_SECRET_ACCESS_KEY", k_aws, "Static credentials (with AWS_ACCESS_KEY_ID)."},
    {"AWS_SESSION_TOKEN", k_aws, "Session token of temporary static credentials."},
    {"AWS_PROFILE", k_aws, "Profile in the ~/.aws files (default: default)."},
    {"AWS_SHARED_CREDENTIALS_FILE", k_aws, "Credentials file (default ~/.aws/credentials)."},
    {"AWS_CONFIG_FILE", k_aws, "Config file (default ~/.aws/config)."},
    {"AWS_WEB_IDENTITY_TOKEN_FILE", k_aws, "Web identity token for AssumeRoleWithWebIdentity."},
    {"AWS_ROLE_ARN", k_aws, "Role assumed with the web identity token."},
    {"AWS_ROLE_SESSION_NAME", k_aws, "Session name of that role."},
    {"AWS_EC2_METADATA_DISABLED", k_aws, "true: never ask the instance metadata service (IMDSv2)."},
    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", k_aws, "IMDSv2 endpoint (tests)."},
    {"AWS_REGION", k_aws, "Region when the run or profile names none."},
    {"AWS_DEFAULT_REGION", k_aws, "Fallback name of AWS_REGION."},
    {"AWS_ENDPOINT_URL", k_aws, "Endpoint of every AWS service (a fake, a VPC endpoint)."},
    {"AWS_ENDPOINT_URL_EC2", k_aws, "EC2 endpoint; wins over AWS_ENDPOINT_URL."},
    {"AWS_ENDPOINT_URL_STS", k_aws, "STS endpoint; wins over AWS_ENDPOINT_URL."},
    {"AWS_CA_BUNDLE", k_aws, "CA bundle for TLS to the endpoints."},
    {"CE_AWS_REGIONS", "down", "Comma-separated regions down --expired scans (default: all)."},
    {"CE_AWS_DEBUG", k_aws, "1: log each AWS request (signature and token dropped)."},
    {"CE_AWS_MAX_ATTEMPTS", k_aws, "Attempts per AWS call, retries included."},
    {"CE_AWS_REQUEST_TIMEOUT", k_aws, "Seconds for one HTTP request (default 30)."},
    {"CE_AWS_STALL_TIMEOUT", k_aws, "Seconds without a byte before a request is cut (default 15)."},
    {"CE_AWS_WAIT_TIMEOUT", "up", "Seconds up waits for instances to run (default 600)."},
    {"CE_AWS_COMMAND_TIMEOUT", k_aws,
     "Seconds for all AWS work of one command phase (default 1800)."},
    {"CE_AWS_DEPENDENCY_RETRIES", "down up",
     "Retries of a delete answered DependencyViolation (default 8)."},
    {"CE_AWS_EXECUTOR_FAIL_PROFILE", "failover",
     "failover --fault executor-fail: the AWS profile whose calls are denied."},
    // Azure: the credential chain (Azure SDK order), the subscription, endpoints and bounds.
    {"AZURE_TENANT_ID", k_azure, "Entra ID tenant of the service principal or workload identity."},
    {"AZURE_CLIENT_ID", k_azure, "Application (client) id; with a secret or a federated token."},
    {"AZURE_CLIENT_SECRET", k_azure, "Client secret of that application (never logged)."},
    {"AZURE_FEDERATED_TOKEN_FILE", k_azure, "Workload identity: file holding the federated token."},
    {"IDENTITY_ENDPOINT", k_azure,
     "Managed identity endpoint (App Service); with IDENTITY_HEADER."},
    {"IDENTITY_HEADER", k_azure, "Secret header of that endpoint (never logged)."},
    {"AZURE_IMDS_ENDPOINT", k_azure, "Managed identity's IMDS (default http://169.254.169.254)."},
    {"AZURE_AUTHORITY_HOST", k_azure,
     "Entra ID authority (default https://login.microsoftonline.com)."},
    {"AZURE_SUBSCRIPTION_ID", k_azure, "Subscription of up/down; wins over the profile's."},
    {"AZURE_CA_BUNDLE", k_azure, "CA bundle for TLS to ARM and Entra ID."},
    {"CE_AZURE_ARM_ENDPOINT", k_azure, "ARM endpoint (default https://management.azure.com)."},
    {"CE_AZURE_DEBUG", k_azure, "1: log each ARM request's method, URL and body (never headers)."},
    {"CE_AZURE_MAX_ATTEMPTS", k_azure, "Attempts per ARM call, retries included (default 5)."},
    {"CE_AZURE_REQUEST_TIMEOUT", k_azure, "Seconds for one HTTP request (default 30)."},
    {"CE_AZURE_STALL_TIMEOUT", k_azure,
     "Seconds without a byte before a request is cut (default 15)."},
    {"CE_AZURE_WAIT_TIMEOUT", k_azure,
     "Seconds one long-running ARM operation may take (default 900)."},
    {"CE_AZURE_COMMAND_TIMEOUT", k_azure,
     "Seconds for all Azure work of one command phase (default 1800)."},
    {"CE_AZURE_CONFLICT_RETRIES", "down", "Retries of a delete answered 409 Conflict (default 8)."},
    // OCI (providers/oci/credentials.hpp, oci_client.hpp).
    {"OCI_CLI_CONFIG_FILE", "up down", "OCI config file (default ~/.oci/config)."},
    {"OCI_CONFIG_FILE", "up down", "OCI config file when OCI_CLI_CONFIG_FILE is unset."},
    {"OCI_CLI_PROFILE", "up down", "Profile of the OCI config file (default DEFAULT)."},
    {"OCI_CLI_USER", "up down", "User OCID; wins over the config file's user."},
    {"OCI_CLI_TENANCY", "up down", "Tenancy OCID; wins over the config file's tenancy."},
    {"OCI_CLI_FINGERPRINT", "up down", "API key fingerprint; wins over the config file's."},
    {"OCI_CLI_KEY_FILE", "up down", "API signing key (PEM); wins over the config file's key_file."},
    {"OCI_CLI_PASSPHRASE", "up down", "Pass phrase of an encrypted API key (never logged)."},
    {"OCI_CLI_REGION", "up down", "OCI region (us-ashburn-1); wins over the config file's."},
    {"OCI_CA_BUNDLE", "up down", "CA bundle for TLS to the OCI endpoints."},
    {"CE_OCI_ENDPOINT", "up down",
     "https://host[:port] for every OCI service (tests: the OCI fake); default per region."},
    {"CE_OCI_MAX_ATTEMPTS", "up down", "Attempts per OCI call, retries included (default 5)."},
    {"CE_OCI_REQUEST_TIMEOUT", "up down", "Seconds for one OCI HTTP request (default 30)."},
    {"CE_OCI_STALL_TIMEOUT", "up down",
     "Seconds without a byte before an OCI request is cut (default 15)."},
    {"CE_OCI_COMMAND_TIMEOUT", "up down",
     "Seconds for all OCI work of one command phase (default 1800)."},
    // evidence
    {"CE_ACCEPTANCE_SCENARIOS", "evidence",
     "Scenario file when --scenarios is not given (default: the built-in scenarios)."},
    // The local provider.
    {"LABCTL_LOCAL_META_DIR", k_local,
     "Where the local lab keeps a file per run for the janitor (default /run/labctl/local)."},
    {"PATH", k_local, "Where the local lab finds ip, sshd and the other tools it runs."},
    // The testfs provider (lifecycle tests).
    {"LABCTL_TESTFS_DIR", k_local, "testfs provider: its resources' directory (tests)."},
    {"LABCTL_TESTFS_FAIL_AFTER", "up", "testfs provider: fail after N creates (tests)."},
    {"LABCTL_TESTFS_BLOCK_AFTER", "up", "testfs provider: block after N creates (tests)."},
    {"LABCTL_TESTFS_FAIL_MESSAGE", "up", "testfs provider: text of that failure (tests)."},
    {"LABCTL_TESTFS_FAIL_DELETE", "down", "testfs provider: fail deleting this file (tests)."},
    {"LABCTL_TESTFS_THROW_DELETE", "down", "testfs provider: throw deleting this file (tests)."},
};

void describe_into(const CLI::App& app, const std::string& path, std::vector<CommandDoc>& out) {
  CommandDoc doc;
  doc.path = path;
  doc.text = app.get_description();
  for (const CLI::Option* option : app.get_options()) {
    OptionDoc o;
    for (const auto& s : option->get_snames()) o.flags.push_back("-" + s);
    for (const auto& l : option->get_lnames()) o.flags.push_back("--" + l);
    o.name = o.flags.empty() ? option->get_name(true) : o.flags.back();
    if (option->get_type_size_max() > 0) o.value = option->get_type_name();
    o.text = option->get_description();
    o.default_value = option->get_default_str();
    o.required = option->get_required();
    doc.options.push_back(std::move(o));
  }
  const auto top = path.substr(0, path.find(' '));
  if (!path.empty()) {
    for (const EnvVar& var : k_env) {
      if (reads(var, top)) doc.env.push_back(&var);
    }
  }
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subs) doc.subcommands.push_back(sub->get_name());
  out.push_back(std::move(doc));
  for (const CLI::App* sub : subs) {
    describe_into(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

}  // namespace

std::span<const EnvVar> env_table() { return k_env; }

bool reads(const EnvVar& var, std::string_view command) {
  if (var.commands == "*") return true;
  for (const auto word : std::views::split(var.commands, ' ')) {
    if (std::string_view(word.begin(), word.end()) == command) return true;
  }
  return false;
}

std::vector<CommandDoc> describe(const CLI::App& app) {
  std::vector<CommandDoc> out;
  describe_into(app, "", out);
  return out;
}

void add_env_footers(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    const std::string command = sub->get_name();
    std::string footer = "Environment (see `man labctl` for all):\n";
    for (const EnvVar& var : k_env) {
      if (var.commands == "*" || !reads(var, command)) continue;
      footer += "  " + std::string(var.name) + "\n      " + std::string(var.text) + "\n";
    }
    footer += "  Every command: CE_LOG_FORMAT, CE_STATE_DIR (then XDG_STATE_HOME, HOME), "
              "CE_STATE_URL, CE_MACHINE, CE_LEASE_SECONDS.";
    sub->footer(footer);
    // Subcommands (runs list, evidence collect) read what their command reads.
    for (CLI::App* child : sub->get_subcommands([](CLI::App*) { return true; })) {
      child->footer(footer);
    }
  }
}

}  // namespace labctl::cli
