#include "core/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace labctl::interrupt {
namespace {

std::atomic<int> g_pending{0};
std::atomic<bool> g_shielded{false};
std::atomic<int> g_ignored{0};

extern "C" void on_signal(int signo) {
  if (g_shielded.load()) {
    g_ignored.fetch_add(1);
    return;
  }
  int expected = 0;
  g_pending.compare_exchange_strong(expected, signo);
}

}  // namespace

void install_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR so waits notice
  for (const int signo : {SIGINT, SIGTERM, SIGHUP}) sigaction(signo, &action, nullptr);
}

int pending() { return g_pending.load(); }

bool requested() { return g_pending.load() != 0; }

void clear() { g_pending.store(0); }

void shield() {
  g_ignored.store(0);
  g_shielded.store(true);
  g_pending.store(0);
}

int unshield() {
  g_shielded.store(false);
  return g_ignored.exchange(0);
}

void raise_for_test(int signo) { on_signal(signo); }

}  // namespace labctl::interrupt
