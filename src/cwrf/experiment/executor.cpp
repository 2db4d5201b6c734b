#include "cwrf/experiment/executor.h"

#include "cwrf/common/error.h"
#include "cwrf/experiment/slurm.h"

#include <fmt/format.h>

#include <regex>

namespace cwrf::experiment {

namespace {

using config::Type;

// "" or [D-]HH:MM:SS.
std::string check_time(const config::Json& v) {
  static const std::regex time(R"(^(\d+-)?\d{1,3}:\d{2}:\d{2}$)");
  const std::string s = v.get<std::string>();
  return s.empty() || std::regex_match(s, time) ? "" : "must be [D-]HH:MM:SS, e.g. 04:00:00 or 1-12:00:00";
}

// "" or a size Slurm's --mem takes: a number with an optional K, M, G or T.
std::string check_memory(const config::Json& v) {
  static const std::regex memory(R"(^\d+[KMGT]?$)");
  const std::string s = v.get<std::string>();
  return s.empty() || std::regex_match(s, memory) ? "" : "must be a size such as 4000 (MB), 16G or 1T";
}

std::string check_command(const config::Json& v) {
  return v.get<std::string>().find_first_not_of(" \t") == std::string::npos ? "must name a command, e.g. sacct" : "";
}

config::Schema build_executor_schema() {
  config::Schema s;
  // None is hashed: where a job runs never changes what it computes.
  s.add({
      {"executor.kind", Type::String, "local",
       "where the jobs run: local (worker processes on this machine) or slurm (sbatch, one Slurm job per job)",
       {"local", "slurm"}, false},
      {"executor.partition", Type::String, "", "slurm: sbatch --partition (empty: the cluster's default)", {}, false},
      {"executor.account", Type::String, "", "slurm: sbatch --account (empty: the user's default)", {}, false},
      {"executor.time", Type::String, "",
       "slurm: time limit per job, [D-]HH:MM:SS (sbatch --time; empty: the partition's default)", {}, false, {},
       check_time},
      {"executor.gpus", Type::Int, 0, "slurm: GPUs per job (--gres=gpu:N; 0: none, or 1 when device = cuda)", {}, false,
       config::at_least(0)},
      {"executor.cpus", Type::Int, 1, "slurm: CPUs per job (--cpus-per-task), also the job's threads", {}, false,
       config::at_least(1)},
      {"executor.memory", Type::String, "", "slurm: memory per job (sbatch --mem, e.g. 16G; empty: the default)", {},
       false, {}, check_memory},
      {"executor.sbatch_args", Type::StringList, config::Json::array(),
       "slurm: more sbatch arguments for every job, e.g. [\"--qos=long\", \"--constraint=a100\"]", {}, false},
      {"executor.poll_seconds", Type::Float, 10.0, "slurm: how often a waiting run asks Slurm about its jobs", {},
       false, config::greater_than(0)},
      {"executor.sacct", Type::String, "sacct",
       "slurm: the command that tells how a job ended once the controller has forgotten it (MinJobAge); "
       "\"sacct -c\" where completions go to a jobcomp file instead of slurmdbd (scripts/slurm-local.sh)",
       {}, false, {}, check_command},
      {"executor.wait", Type::Bool, true,
       "slurm: wait for the jobs and write the report; false (--no-wait): return once they are submitted", {}, false},
  });
  return s;
}

}  // namespace

const config::Schema& executor_schema() {
  static const config::Schema s = build_executor_schema();
  return s;
}

std::unique_ptr<Executor> make_executor(const Experiment& e, const SchedulerOptions& local) {
  const std::string kind = e.executor.get_string("executor.kind");
  if (kind == "local") {
    if (!e.executor.get_bool("executor.wait"))
      throw Error(fmt::format("{} needs the slurm executor (--executor slurm): local jobs end with the run",
                              e.executor.label("executor.wait")));
    return std::make_unique<LocalExecutor>(local);
  }
  SlurmOptions o;
  o.root = std::filesystem::absolute(e.out() / "slurm").lexically_normal();
  o.executable = std::filesystem::absolute(local.executable.empty() ? current_executable() : local.executable);
  o.workdir = std::filesystem::current_path();
  o.name = e.name();
  o.settings = slurm_settings(e.executor, e.base.get_string("device"));
  return std::make_unique<SlurmExecutor>(std::move(o));
}

}  // namespace cwrf::experiment
