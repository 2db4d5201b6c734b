// The Slurm executor: an experiment's jobs as sbatch jobs on a cluster that shares the
// filesystem of the run's out folder (specs, model directories, results, logs and the report
// all live under it; the cwrf program and the data must be reachable from every node too).
//
// A round (scheduler.h's Executor contract):
//   1. Under <out>/slurm/lock, for every job the plan still needs: a result file (task.h) whose
//      directory exists means done (found finished); else a job recorded in the state file
//      (slurm_state.h) that Slurm still holds queued or running is waited for, not submitted
//      again; anything else (never submitted, failed, cancelled, timed out, forgotten) is
//      submitted, and so is every queued job that depends on a job submitted anew (its old
//      dependency can never be satisfied: it is cancelled first). A job is submitted as
//        sbatch --parsable --job-name=... --chdir=CWD --output=logs/KEY-%j.out --error=logs/KEY-%j.err
//               [--partition --account --time --cpus-per-task --gres=gpu:N --mem]
//               [--dependency=afterok:ID:ID... --kill-on-invalid-dep=yes] [executor.sbatch_args]
//               --wrap "exec env OMP_NUM_THREADS=C OPENBLAS_NUM_THREADS=C CWRF job --spec S --result R"
//      --kill-on-invalid-dep=yes: without it a dependent of a failed job pends forever.
//   2. With executor.wait = false (`--no-wait`) the round ends here, incomplete unless every job
//      was already done.
//   3. Otherwise it polls every executor.poll_seconds until every job has finished or cannot
//      run any more: a job's result file ends it; one `squeue -h -t all -j ID,ID,...` says which
//      are still queued or running (their stdout logs feed the progress line, and the queue's
//      counts are shown on it); once the controller has forgotten a finished job (MinJobAge),
//      executor.sacct ("sacct", or "sacct -c" where job completions go to a jobcomp file) says
//      how it ended. A job that ended without a result file failed; its dependents never run
//      (Slurm cancels them; so does the executor). Then an Error lists each failed job with its
//      Slurm job id, final state and log path, and the dependents that were not run. The
//      submitted work is never cancelled because the waiting run stopped: interrupt it at any
//      time and run the same command again.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/experiment/scheduler.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct SlurmSettings {
  std::string partition, account, time, memory;
  int64_t gpus = 0;  // per job (effective: executor.gpus, or 1 for device = cuda)
  int64_t cpus = 1;  // per job; also the job's threads
  std::vector<std::string> sbatch_args;
  double poll_seconds = 10.0;
  std::vector<std::string> sacct = {"sacct"};  // the command (and its options) that reads finished jobs
  bool wait = true;
  // How long a job that Slurm calls COMPLETED (or has forgotten) may take to show its result file
  // before it counts as failed: on NFS another client's new file can stay invisible for up to
  // the attribute cache time (acdirmax, 60 s). Not a setting (tests shorten it).
  double result_grace_seconds = 90.0;
};

// From the executor.* settings (executor.h) and the experiment's device.
SlurmSettings slurm_settings(const config::Config& executor, const std::string& device);

struct SlurmOptions {
  std::filesystem::path root;        // <out>/slurm, absolute
  std::filesystem::path executable;  // the cwrf program the tasks run, absolute
  std::filesystem::path workdir;     // the tasks' working directory (sbatch --chdir), absolute
  std::string name;                  // the experiment's name (in job names)
  SlurmSettings settings;
};

// One sbatch submission.
struct Submission {
  std::string job_name;
  std::filesystem::path spec, result;
  std::filesystem::path out_log, err_log;  // may contain Slurm's %j (the job id)
  std::vector<std::string> after;          // Slurm job ids it needs to have COMPLETED
};

// The sbatch command line of a submission (argv).
std::vector<std::string> sbatch_command(const SlurmOptions& options, const Submission& submission);

// The job id from `sbatch --parsable` output ("123" or "123;cluster"); Error when there is none.
std::string parse_sbatch_id(const std::string& output);

// A Slurm job's state as the executor sees it.
struct SlurmJobStatus {
  enum class Phase { Active, Ended, Unknown };
  Phase phase = Phase::Unknown;  // Unknown: neither squeue nor sacct knows it (it is not queued)
  std::string state;             // JobState: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string reason;            // squeue's Reason (Dependency, DependencyNeverSatisfied, ...)
  std::string exit_code;         // "CODE:SIGNAL"
  std::string detail;            // where it came from, or why it could not be read
  bool transient = false;        // Slurm did not answer (controller down): ask again later
};

// PENDING, RUNNING, COMPLETING, ...: states a job leaves by itself.
bool is_active_slurm_state(const std::string& state);
// One `scontrol show job -o ID` line; nullopt without a JobState.
std::optional<SlurmJobStatus> parse_scontrol_job(const std::string& text);
// `sacct -n -X -P -o JobID,State,ExitCode` output: the line of job `id`; nullopt when absent.
std::optional<SlurmJobStatus> parse_sacct_job(const std::string& text, const std::string& id);
// `squeue -h -t all -o %i|%T|%r` output: the jobs it lists, by id.
std::map<std::string, SlurmJobStatus> parse_squeue_jobs(const std::string& text);
// Many jobs at once: one squeue for those the controller holds (a failed one's exit code from
// `scontrol show job`), one sacct for those it has forgotten; every id gets an answer.
std::map<std::string, SlurmJobStatus> query_slurm_jobs(const SlurmSettings& settings,
                                                       const std::vector<std::string>& ids);
SlurmJobStatus query_slurm_job(const SlurmSettings& settings, const std::string& id);

class SlurmExecutor : public Executor {
 public:
  explicit SlurmExecutor(SlurmOptions options);
  RoundOutcome run(const Plan& plan, std::vector<JobResult>& results, const std::function<nlohmann::json(int)>& spec,
                   const SchedulerCallbacks& callbacks) override;
  std::string describe() const override;

 private:
  SlurmOptions options_;
};

}  // namespace cwrf::experiment
