// The experiment's report in the paper's form (Table 3): per row, test accuracy and LiRA /
// RMIA AUC and TPR at 0.1 % and 0.001 % FPR, as mean (std) — std over runs when there are
// several, otherwise over the attacked targets — plus CSV / JSON, ROC curves per row (log-log)
// and the privacy-utility plot (paper Fig. 9).
#pragma once

#include "cwrf/common/table.h"
#include "cwrf/experiment/experiment.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::experiment {

// What one row and run produced: the targets' test accuracies and the attack results.json.
struct RowRun {
  size_t row = 0;
  int64_t run = 0;
  std::vector<double> target_test_acc;
  nlohmann::json attack;               // results.json of the attack
  std::filesystem::path attack_dir;
};

// The Table-3 table (numbers in percent, "mean (std)" strings in markdown) and its raw values.
Table report_table(const Experiment& experiment, const std::vector<RowRun>& results, bool markdown_strings);

// Writes report.md, results.csv/json, experiment.json and the plots into `dir`; returns the markdown table.
std::string write_report(const Experiment& experiment, const std::vector<RowRun>& results,
                         const std::filesystem::path& dir);

}  // namespace cwrf::experiment
