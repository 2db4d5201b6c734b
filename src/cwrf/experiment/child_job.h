// A job of an experiment run outside the planner's process: `cwrf job --spec FILE` runs one
// (a Slurm task, a single retry), `cwrf job --worker` serves many in turn, reading spec file
// paths from stdin, so the local scheduler pays LibTorch's start-up (~0.5 s) and the dataset's
// loading (~0.7 s for Fashion-MNIST) once per worker instead of once per model.
//
// A spec is JSON: {"kind": K, "threads": n, "device": D (optional: cpu, cuda, cuda:N; overrides the
// config's), ...the kind's own fields}. The kinds, one entry each in child_job.cpp's table:
//   train   {"config": {...flat config...}, "out": <models root>}
//   cwrf    {"config": {...overrides...}, "parent": <model dir>, "out": <models root>}
//   attack  {"settings": {...attack.* keys...}, "models": [<model dir>...], "out": <attack dir>,
//            "device": "cpu"|"cuda"|"cuda:N", "extra": {...}}
//   analysis {"analysis": kind, "name", "knobs", "derived", "roles", "models": [<model dir>...],
//            "out": <analysis dir>, "key": <the job's identity hash>}   (analyses.h)
//
// The job reports on stdout, one JSON object per line:
//   {"event":"log","text":...}
//   {"event":"progress","epoch":e,"epochs":E,"batch":b,"batches":B,"loss":l}   (throttled)
//   {"event":"epoch", ...EpochRecord...}
//   {"event":"done","dir":...,"reused":bool,"result":{...}}   (metrics.json / results.json / result.json)
// A single job that fails prints "cwrf: error: ..." on stderr and exits non-zero; a worker
// reports {"event":"failed","error":...} for that job and waits for the next.
#pragma once

#include "cwrf/job/job_data.h"

#include <nlohmann/json.hpp>

#include <istream>
#include <string>
#include <vector>

namespace cwrf::experiment {

// The kinds a spec may name.
std::vector<std::string> job_kinds();

// Runs a spec in this process, reporting as above on stdout. Throws Error on failure. `cache`
// keeps the dataset for the next job (a worker's). Returns the "done" payload
// ({"dir","reused","result"}: what a batch task writes to its result file, task.h).
nlohmann::json run_child_job(const nlohmann::json& spec, job::JobDataCache* cache = nullptr);

// Serves spec file paths, one per line, until end of input.
void run_worker(std::istream& specs);

}  // namespace cwrf::experiment
