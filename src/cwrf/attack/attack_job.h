// One attack job, as `cwrf attack` and every row and run of `cwrf run` use it: open K model
// directories of one split, check the settings against them (feasibility, queries) before any
// inference, compute or reuse the signals on the job's device, run the selected attack families
// and write the attack directory (runner.h: results.json last, so its presence means whole).
#pragma once

#include "cwrf/attack/runner.h"
#include "cwrf/config/config.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::attack {

struct AttackJob {
  std::vector<std::filesystem::path> models;  // K model directories of one split, in target order
  config::Config settings;                    // over attack_schema()
  std::filesystem::path out;                  // the attack directory
  std::filesystem::path cache;                // signal cache (empty: none)
  int64_t threads = 0;                        // 0: every core
  std::string device = "cpu";                 // where the signals are computed
  bool plot = true;
  bool reuse = false;                         // a finished out/results.json with the same job key is kept
  nlohmann::json extra;                       // merged into results.json (the command line, a row name, ...)
  explicit AttackJob(config::Config s) : settings(std::move(s)) {}
};

struct AttackJobCallbacks {
  std::function<void(const std::string&)> log;
  std::function<void(double fraction, const std::string&)> progress;
};

struct AttackJobResult {
  nlohmann::json results;  // results.json
  AttackRun run;           // empty when reused
  bool reused = false;
  double signal_seconds = 0.0, attack_seconds = 0.0, write_seconds = 0.0, seconds = 0.0;
  int64_t signals_computed = 0, signals_reused = 0;
  std::vector<std::string> queries;
};

// What determines an attack job's result: the models' hashes, the hashed settings, the queries.
std::string attack_job_key(const std::vector<std::string>& model_hashes, const config::Config& settings,
                           const std::vector<std::string>& queries);

AttackJobResult run_attack_job(const AttackJob& job, const AttackJobCallbacks& callbacks = {});

}  // namespace cwrf::attack
