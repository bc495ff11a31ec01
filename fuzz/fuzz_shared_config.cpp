// ~/.aws files (providers/aws/shared_config.hpp, credentials.hpp) through the credential chain
// and the region lookup, as `labctl up` resolves them. The input is
// "<AWS_PROFILE>\0<credentials file>\0<config file>"; the files are written to a private temp
// dir, the environment is a map (no AWS_* keys, IMDS disabled). Properties: no crash; the
// secret key and the session token of the profile never appear in the credentials' printed form
// or in any error; resolved credentials carry a non-empty key id and secret.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/aws/shared_config.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace {

namespace aws = labctl::providers::aws;
namespace fs = std::filesystem;
using labctl::fuzz::check;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "labctl-fuzz-XXXXXX").string();
    check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp works");
    static const fs::path made = pattern;
    std::atexit([] { fs::remove_all(made); });
    return made;
  }();
  return dir;
}

void write(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// A secret must not show. Only a secret-like value proves anything: 16+ characters with letters
// and digits and no space (a value such as "config file" also occurs in the errors' own prose),
// and not also a name we print (key id, profile, file path).
bool shows(std::string_view text, const std::string& secret, const std::string& key_id,
           const std::string& profile) {
  const bool secret_like =
      secret.size() >= 16 && secret.find(' ') == std::string::npos &&
      std::any_of(secret.begin(), secret.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      std::any_of(secret.begin(), secret.end(),
                  [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
  if (!secret_like || key_id.find(secret) != std::string::npos ||
      profile.find(secret) != std::string::npos ||
      work_dir().string().find(secret) != std::string::npos) {
    return false;
  }
  return text.find(secret) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = labctl::fuzz::split_fields<3>(labctl::fuzz::as_text(data, size));
  const fs::path credentials_file = work_dir() / "credentials";
  const fs::path config_file = work_dir() / "config";
  write(credentials_file, fields.parts[1]);
  write(config_file, fields.parts[2]);
  const std::map<std::string, std::string> vars = {
      {"AWS_PROFILE", std::string(fields.parts[0])},
      {"AWS_SHARED_CREDENTIALS_FILE", credentials_file.string()},
      {"AWS_CONFIG_FILE", config_file.string()},
      {"AWS_EC2_METADATA_DISABLED", "true"},
      {"HOME", work_dir().string()}};
  const labctl::EnvLookup env = [&vars](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };

  // What the profile's section holds, as the parser reads it, to look for in the output.
  const aws::SharedFiles files = aws::shared_files(env);
  std::string key_id, secret, token;
  for (const auto& section : {aws::credentials_section(files), aws::config_section(files)}) {
    if (!section) continue;
    if (const auto it = section->find("aws_access_key_id"); it != section->end())
      key_id += it->second;
    if (const auto it = section->find("aws_secret_access_key"); it != section->end())
      secret = it->second;
    if (const auto it = section->find("aws_session_token"); it != section->end())
      token = it->second;
  }

  aws::CredentialChain chain(env, std::make_shared<labctl::testing::FakeHttpTransport>(),
                             std::make_shared<labctl::testing::ManualClock>());
  const auto credentials = chain.resolve();
  const std::string shown = credentials ? credentials->to_string() : credentials.error().message;
  check(!shows(shown, secret, key_id, files.profile), "the secret key never shows");
  check(!shows(shown, token, key_id, files.profile), "the session token never shows");
  if (credentials) {
    check(!credentials->access_key_id().empty() && !credentials->secret_access_key().empty(),
          "resolved credentials have a key id and a secret");
  }
  if (const auto region = aws::resolve_region(env); !region) {
    check(!shows(region.error().message, secret, key_id, files.profile),
          "the secret key never shows in a region error");
  }
  return 0;
}
