// One model job run in its own process (`cwrf job SPEC.json`), so that independent models
// train side by side with one thread each (docs/DESIGN.md: ~1.4x the throughput of one job
// on two threads here) and a killed run never leaves a half-used model behind.
//
// The child reports on stdout, one JSON object per line:
//   {"event":"log","text":...}
//   {"event":"progress","epoch":e,"epochs":E,"batch":b,"batches":B,"loss":l}   (throttled)
//   {"event":"epoch", ...EpochRecord...}
//   {"event":"done","dir":...,"reused":bool,"metrics":{...}}
// and exits 0; on an error it prints "cwrf: error: ..." on stderr and exits non-zero.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace cwrf::experiment {

// {"kind": "train"|"cwrf", "config": {...}, "parent": "<dir>" (cwrf), "out": "<models root>",
//  "threads": n}
nlohmann::json job_spec(const std::string& kind, const nlohmann::json& config, const std::string& parent,
                        const std::filesystem::path& out, int64_t threads);

// Runs a spec in this process, reporting as above on stdout. Throws Error on failure.
void run_child_job(const nlohmann::json& spec);

}  // namespace cwrf::experiment
