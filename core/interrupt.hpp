#pragma once

namespace labctl::interrupt {

// Installs SIGINT/SIGTERM/SIGHUP handlers that only record the signal (async-signal-safe).
// Long waits (Clock::sleep_for, provider polls) check pending() and stop early; the teardown
// guard turns a pending signal into a teardown and the exit code 128+signal.
void install_handlers();
// The first signal received since install (0 if none). Later signals do not replace it.
[[nodiscard]] int pending();
// True once any signal was received.
[[nodiscard]] bool requested();
// Forgets a recorded signal (tests; and the guard once it has started its teardown, so that
// teardown waits are not cut short by the signal that caused them).
void clear();
// While shielded (teardown in progress), signals are counted but not recorded as pending, so
// a second Ctrl-C cannot cut the teardown short. Returns how many arrived while shielded.
void shield();
[[nodiscard]] int unshield();
// Test hook for the same effect as a delivered signal.
void raise_for_test(int signo);

}  // namespace labctl::interrupt
