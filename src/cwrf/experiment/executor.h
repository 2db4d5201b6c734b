// Where an experiment's jobs run: the [executor] settings table and the executor it selects.
//
//   [executor]
//   kind = "slurm"              # local (default): worker processes here; slurm: sbatch
//   partition = "gpu"           # sbatch --partition ("" = the cluster's default)
//   account = "proj42"          # sbatch --account
//   time = "04:00:00"           # sbatch --time per job, [D-]HH:MM:SS ("" = the partition's default)
//   gpus = 1                    # GPUs per job (--gres=gpu:N; 0 = none, or 1 with device = "cuda")
//   cpus = 4                    # CPUs per job (--cpus-per-task; also the job's threads)
//   memory = "16G"              # sbatch --mem ("" = the partition's default)
//   sbatch_args = ["--qos=long"]  # appended to every sbatch command line
//   poll_seconds = 10           # how often the waiting run asks Slurm about its jobs
//   sacct = "sacct"             # how to read jobs Slurm's controller forgot (after MinJobAge)
//   wait = true                 # false (`--no-wait`): return once the jobs are submitted
//
// None of these is part of a job's identity: a model trained through Slurm is the same model
// (the same content hash, the same directory) as one trained locally.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/scheduler.h"

#include <memory>

namespace cwrf::experiment {

// The executor.* keys.
const config::Schema& executor_schema();

// The executor `experiment.executor` asks for. `local` is the local executor's configuration
// (parallel jobs, threads per job, the cwrf program, the spec folder); the Slurm executor takes
// the program from it and everything else from executor.* and the experiment's out folder.
std::unique_ptr<Executor> make_executor(const Experiment& experiment, const SchedulerOptions& local);

}  // namespace cwrf::experiment
