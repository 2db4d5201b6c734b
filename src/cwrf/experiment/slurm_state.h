// What the Slurm executor remembers between `cwrf run` invocations, under <out>/slurm/:
//
//   state.json          {"format": 1, "jobs": {KEY: record}}: per job identity, its latest
//                       Slurm job id, spec, result and log files, the keys it depended on
//   specs/KEY.json      the job spec a task runs (child_job.h)
//   results/KEY.json    the task's "done" payload, written atomically when it has finished (task.h)
//   logs/KEY-ID.out     the task's stdout (JSON event lines), one file per submission
//   logs/KEY-ID.err     its stderr (the error line of a failed job; Slurm's own messages)
//   lock                held while a run decides what to submit (two runs never submit twice)
//
// KEY is a hash of the job's identity (plan.h), so the record survives re-planning and a
// changed experiment simply has other keys. The state is a cache of what was submitted, never
// the truth about results: a result file (and its directory) is what makes a job done.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct SlurmRecord {
  std::string label;                     // the plan's label (for messages)
  std::string kind;                      // train | cwrf | attack | ...
  std::string slurm_id;                  // the latest submission
  std::filesystem::path spec, result;    // specs/KEY.json, results/KEY.json
  std::filesystem::path out_log, err_log;
  std::vector<std::string> after;        // keys of the jobs it was submitted to wait for
  int64_t submissions = 0;               // how many times it was submitted
  std::string submitted;                 // when (UTC, ISO 8601)
};

struct SlurmState {
  std::map<std::string, SlurmRecord> jobs;  // by key
};

// The key of a job identity (32 hex digits of its content hash).
std::string slurm_job_key(const std::string& identity);

// Reads <root>/state.json (an empty state when there is none; an Error naming the file when it
// is not valid). Writes it atomically.
SlurmState read_slurm_state(const std::filesystem::path& root);
void write_slurm_state(const std::filesystem::path& root, const SlurmState& state);

// An exclusive lock on <root>/lock (flock: advisory; on NFS it needs the lock service), held for
// the object's lifetime. Creates root.
class SlurmStateLock {
 public:
  explicit SlurmStateLock(const std::filesystem::path& root);
  ~SlurmStateLock();
  SlurmStateLock(const SlurmStateLock&) = delete;
  SlurmStateLock& operator=(const SlurmStateLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cwrf::experiment
