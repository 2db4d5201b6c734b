// The experiment's report in the paper's form (Table 3): per row, test accuracy and LiRA /
// RMIA AUC and TPR at 0.1 % and 0.001 % FPR, as mean (std) — std over runs when there are
// several, otherwise over the attacked targets — with the spread over targets beside it; for
// each CWRF row, its difference from the defense alone with a paired 95 % interval
// (comparison.h); the choice of r where a row gave several (selection.h); CSV / JSON of all of
// it, ROC curves per row (log-log) and the privacy-utility plot (paper Fig. 9).
#pragma once

#include "cwrf/common/table.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/selection.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::experiment {

// What one row and run produced: the targets' test accuracies and the attack's results.json.
struct RowRun {
  size_t row = 0;
  int64_t run = 0;
  std::vector<double> target_test_acc;
  nlohmann::json attack;  // results.json of the attack
  std::filesystem::path attack_dir;
};

// One column of the report: a per-target value of each row and run.
struct ReportColumn {
  std::string key;      // "test_acc", "lira_auc", "lira_tpr_0.001", ...: CSV / JSON column names
  std::string label;    // "LiRA AUC (%)"
  std::string variant;  // attack variant ("lira-online"); "" for test accuracy
  std::string metric;   // "auc" | "tpr_at_fpr" (per_target key)
  std::string level;    // FPR level key for tpr_at_fpr ("0.001"); the sub-key of other nested metrics
  bool higher_is_better = false;
  double scale = 100.0;  // shown as value × scale (percent; 1 for ε)
};
// The table's columns: test accuracy, the report's LiRA / RMIA variants (experiment.report_lira,
// .report_rmia), the headline BASE / BaVarIA / QMIA variants when the experiment runs them, the
// empirical ε lower bound of the LiRA variant, and for experiments with DP-SGD rows the accountant's ε.
std::vector<ReportColumn> report_columns(const Experiment& experiment);

// values[run][target] of a column for one row (NaN where missing).
std::vector<std::vector<double>> column_values(const Experiment& experiment, const std::vector<RowRun>& results,
                                               size_t row, const ReportColumn& column);

// The Table-3 table (numbers in percent, "mean (std) ±sd" strings in markdown) and its raw values.
Table report_table(const Experiment& experiment, const std::vector<RowRun>& results, bool markdown_strings);

// Each CWRF row against the defense alone (defense_alone_row), per column: difference, interval.
Table comparison_table(const Experiment& experiment, const std::vector<RowRun>& results, bool markdown_strings);

// Writes report.md, results.csv/json, pairs.csv/json, selection.json, experiment.json and the
// plots into `dir`; returns the markdown.
std::string write_report(const Experiment& experiment, const std::vector<RowRun>& results,
                         const std::vector<RateSelection>& selections, const std::filesystem::path& dir);

}  // namespace cwrf::experiment
