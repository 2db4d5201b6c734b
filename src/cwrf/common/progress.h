// A one-line progress display on stderr, redrawn in place, only when stderr is a terminal
// (logs and CI output stay clean). Throttled to a few redraws per second.
#pragma once

#include <chrono>
#include <string>

namespace cwrf {

bool stderr_is_terminal();

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled = stderr_is_terminal());
  ~ProgressLine();
  // fraction in [0, 1]; text is shown after the bar.
  void update(double fraction, const std::string& text, bool force = false);
  // Erases the line (before printing a normal log line, and at the end).
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

// "1m05s", "2h03m", "12.3s"
std::string format_duration(double seconds);

}  // namespace cwrf
