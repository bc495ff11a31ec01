#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace labctl {

// Runs `body` (which returns an Expected) and turns anything it throws into an Error with
// ExitCode::provider that names `where`. Teardown paths, janitor workers and provider calls run
// through it: an exception that escapes a teardown leaves the lab running, and one that escapes
// a worker thread aborts the process.
template <class Body>
[[nodiscard]] auto shielded(std::string_view where, Body&& body)
    -> std::invoke_result_t<Body&> {
  const auto failure = [&](std::string_view what) {
    return fail(ExitCode::provider, std::string(where) + ": unexpected failure: " +
                                        text::printable(what, 1024));
  };
  try {
    return std::forward<Body>(body)();
  } catch (const ErrorException& e) {
    return std::unexpected(e.error());
  } catch (const std::exception& e) {
    return failure(e.what());
  } catch (...) {
    return failure("an exception of unknown type");
  }
}

}  // namespace labctl
