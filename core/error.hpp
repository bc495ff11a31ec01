#pragma once

#include <expected>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/exit_code.hpp"

namespace labctl {

// A failure that happens in normal use. The message says where, what and how to fix it;
// the code is what the process exits with if the failure reaches the top.
struct Error {
  ExitCode code = ExitCode::provider;
  std::string message;
};

template <class T>
using Expected = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ExitCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

// Propagation, the way ccache's util/expected.hpp does it. TRY(expr): if the Expected `expr`
// holds an error, return that error from the enclosing function. TRY_ASSIGN(var, expr): the
// same, else move the value into the already declared `var`. Both are statements; use them
// where the value is not needed under another name (an RAII holder such as a Lease stays a
// named Expected).
#define TRY(expr_)                                                 \
  do {                                                             \
    auto&& try_result_ = (expr_);                                  \
    if (!try_result_) return std::unexpected(try_result_.error()); \
  } while (false)

#define TRY_ASSIGN(var_, expr_)                                    \
  do {                                                             \
    auto&& try_result_ = (expr_);                                  \
    if (!try_result_) return std::unexpected(try_result_.error()); \
    (var_) = std::move(*try_result_);                              \
  } while (false)

// The exit code of several failures together: a safety refusal first (something was fenced),
// then bad input (nothing could be tried), then a provider failure.
[[nodiscard]] constexpr ExitCode most_severe(ExitCode a, ExitCode b) {
  constexpr auto rank = [](ExitCode c) {
    return c == ExitCode::refused ? 3 : c == ExitCode::usage ? 2 : c == ExitCode::provider ? 1 : 0;
  };
  return rank(b) > rank(a) ? b : a;
}

// The exception form of Error, thrown only to cross a boundary that cannot return a value
// (a CLI11 callback, a signal-driven abort). labctl::run catches it and exits with its code.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error error)
      : std::runtime_error(error.message), m_error(std::move(error)) {}
  [[nodiscard]] const Error& error() const { return m_error; }

 private:
  Error m_error;
};

// Returns the value or throws its error as ErrorException. For the top of a command only.
template <class T>
T value_or_throw(Expected<T> result) {
  if (!result) throw ErrorException(std::move(result.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace labctl
