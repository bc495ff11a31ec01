#pragma once

#include <string>

#include "core/state_store.hpp"

namespace labctl::testing {

// A live one-hour aws run created 2026-12-05T00:00:00Z by owner "unit", as the unit tests of the
// aws provider record it before driving the provider (insert it into their store).
inline state::RunRecord unit_aws_run(std::string run_id, std::string profile) {
  state::RunRecord run;
  run.run_id = std::move(run_id);
  run.profile = std::move(profile);
  run.providers = {"aws"};
  run.owner = "unit";
  run.purpose = "unit-test";
  run.ttl_text = "1h";
  run.ttl_seconds = 3600;
  run.ttl_expires_at = "2026-12-05T01:00:00Z";
  run.created_at = "2026-12-05T00:00:00Z";
  run.dry_run = false;
  return run;
}

}  // namespace labctl::testing
