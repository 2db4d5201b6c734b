// What the analysis kinds share: opening the analysed model with the entry's keys, reading a
// derived model's metrics, and the result.json of a table.
#pragma once

#include "cwrf/analysis/model_context.h"
#include "cwrf/common/table.h"
#include "cwrf/experiment/analyses.h"

#include <nlohmann/json.hpp>

#include <string>

namespace cwrf::experiment::analyses {

// The analysed model (run.models[0]) resolved with the entry's cwrf.* keys (scoring: T, B, λ)
// and the job's threads.
analysis::ModelContext open_analysed(const AnalysisRun& run);

// Where a model's PVE / TFO scores are cached: <models root>/scores, the folder its CWRF jobs use.
std::filesystem::path scores_dir(const analysis::ModelContext& context);

// The analysed model in a result: its folder, architecture, weights, test accuracy.
nlohmann::json model_summary(const analysis::ModelContext& context);

// metrics.json of a model directory.
nlohmann::json metrics_of(const std::filesystem::path& dir);

// {"table": [...rows as objects...], "columns": [...]} plus `extra`.
nlohmann::json table_result(const Table& table, nlohmann::json extra = nlohmann::json::object());

// Writes <out>/<stem>.{csv,md,json}.
void write_table(const Table& table, const AnalysisRun& run, const std::string& stem);

}  // namespace cwrf::experiment::analyses
