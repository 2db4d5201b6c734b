// Wall time per phase of a job (loading data, training, evaluating, writing, ...), for the
// timing records that show where a job's time goes beyond its training steps.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace cwrf {

// Seconds since this process started (from /proc/self/stat; 0 where unknown): the program's
// own start-up (dynamic loading of LibTorch) before the first line of work.
double seconds_since_process_start();

class PhaseTimer {
 public:
  PhaseTimer();
  // Closes the current phase under `name` (the time since the previous mark or construction).
  void mark(const std::string& name);
  // {"<phase>": seconds, ..., "total": seconds} in order of marking.
  nlohmann::json to_json() const;

 private:
  std::chrono::steady_clock::time_point started_, last_;
  std::vector<std::pair<std::string, double>> phases_;
};

}  // namespace cwrf
