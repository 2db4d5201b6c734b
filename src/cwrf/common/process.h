// Running a short external command (sbatch, scontrol, sacct, scancel) and capturing what it
// printed. Started with posix_spawnp (PATH lookup; safe in a process with threads).
#pragma once

#include <string>
#include <vector>

namespace cwrf {

struct ProcessResult {
  int status = -1;  // exit status; 128 + N when killed by signal N; 127 when it could not start
  std::string out;  // its stdout
  std::string err;  // its stderr (or why it could not start)
  bool ok() const { return status == 0; }
};

// Runs argv[0] (looked up in PATH) with the arguments, stdin from /dev/null, and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv);

// A command line as a POSIX shell reads it back: each word single-quoted where needed.
std::string shell_quote(const std::string& word);
std::string shell_join(const std::vector<std::string>& words);

}  // namespace cwrf
