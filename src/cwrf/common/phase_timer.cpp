#include "cwrf/common/phase_timer.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

namespace cwrf {

double seconds_since_process_start() {
  std::ifstream in("/proc/self/stat");
  std::string text;
  if (!std::getline(in, text)) return 0.0;
  // Field 22 (starttime, clock ticks since boot) follows the command name in parentheses.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  timespec now{};
  if (field.empty() || clock_gettime(CLOCK_BOOTTIME, &now) != 0) return 0.0;
  const double started = std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return std::max(0.0, static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9 - started);
}

PhaseTimer::PhaseTimer() : started_(std::chrono::steady_clock::now()), last_(started_) {}

void PhaseTimer::mark(const std::string& name) {
  const auto now = std::chrono::steady_clock::now();
  phases_.emplace_back(name, std::chrono::duration<double>(now - last_).count());
  last_ = now;
}

nlohmann::json PhaseTimer::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, seconds] : phases_) out[name] = out.value(name, 0.0) + seconds;
  out["total"] = std::chrono::duration<double>(last_ - started_).count();
  return out;
}

}  // namespace cwrf
