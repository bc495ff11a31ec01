#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/local/local_provider.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::local {

// A run of the shipped local profile in a temp state dir, with its own metadata dir.
class LocalFixture : public testing::TempDirTest {
 protected:
  void SetUp() override {
    auto loaded = profile::load(std::string(LABCTL_SOURCE_DIR) + "/profiles/local.yaml");
    ASSERT_TRUE(loaded) << loaded.error().message;
    profile_ = *loaded;
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    run_.run_id = "20261124T093000Z-cloudedge-unit-local";
    run_.providers = {"local"};
    run_.owner = "unit";
    run_.ttl_expires_at = "2026-11-24T11:30:00Z";
    run_.dry_run = false;
    ASSERT_TRUE(store_->insert_run(run_));
    provider_ = make_local_provider({system_process_runner(), tmp.path() / "meta"});
  }

  // Runs `body` in a child process without root (as user nobody when we are root, so the
  // refusal is observable in CI too) and returns the child's exit code; -1 if it crashed.
  static int as_unprivileged(const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(99);
      ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  RunContext ctx() {
    return {run_,
            profile_,
            make_tags(run_.run_id, "unit", run_.ttl_expires_at, "local", "unit"),
            *store_,
            *system_clock(),
            false};
  }

  profile::Profile profile_;
  std::unique_ptr<state::Store> store_;
  state::RunRecord run_;
  std::unique_ptr<Provider> provider_;
};

}  // namespace labctl::providers::local
