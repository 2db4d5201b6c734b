// One job as a batch task: `cwrf job --spec FILE --result FILE` (what the Slurm executor submits).
//
// It runs the spec like `cwrf job --spec FILE` (child_job.h: event lines on stdout, an error
// line on stderr and a non-zero exit on failure) and, when the job has succeeded, writes the
// "done" payload to the result file atomically:
//   {"dir": ..., "reused": bool, "result": {...}, "seconds": s, "host": ..., "slurm_job_id": ...}
// A result file therefore exists only for a finished job, and is whole.
//
// A task may be submitted before the jobs it takes inputs from have finished (a Slurm
// dependency). Its spec then names each such input by a placeholder, `@cwrf-input{RESULT_FILE}`,
// wherever the input's directory goes (also inside a longer path); the task replaces it by the
// "dir" of that result file when it starts, and fails, naming the file, if the input has none.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace cwrf::experiment {

// The placeholder of an input whose result will be in `result_file`.
std::string input_placeholder(const std::filesystem::path& result_file);

// `spec` with every placeholder replaced by its input's directory.
nlohmann::json resolve_input_placeholders(const nlohmann::json& spec);

// Runs the spec in `spec_file`; on success writes `result_file` (above).
void run_task(const std::filesystem::path& spec_file, const std::filesystem::path& result_file);

}  // namespace cwrf::experiment
