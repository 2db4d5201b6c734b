// The paper, table by table and figure by figure, from one experiment: our numbers and plots next
// to the published values (paper_values.h), and one verdict per claim (verdicts.h), computed
// from this run's analyses and rows. Writes report/paper.md, report/paper.html (self-contained:
// the figures inline, readable offline) and report/verdicts.json.
#pragma once

#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/report.h"
#include "cwrf/experiment/verdicts.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::experiment {

// An analysis job's outcome: its entry, result.json and folder.
struct AnalysisOutcome {
  AnalysisEntry entry;
  nlohmann::json result;
  std::filesystem::path dir;
};

// The verdicts of claims (i)-(iv) from the analyses and the Table 3 rows.
std::vector<Verdict> paper_verdicts(const Experiment& experiment, const std::vector<RowRun>& rows,
                                    const std::vector<AnalysisOutcome>& analyses);

// Writes paper.md, paper.html and verdicts.json into `dir` (the figures are copied beside them);
// returns the markdown.
std::string write_paper_report(const Experiment& experiment, const std::vector<RowRun>& rows,
                               const std::vector<AnalysisOutcome>& analyses, const std::filesystem::path& dir);

}  // namespace cwrf::experiment
