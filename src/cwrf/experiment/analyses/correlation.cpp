// Table 1 / Fig. 3: the Pearson correlation of privacy vulnerability (PVE) and learnability (TFO)
// scores over all weights and per kind, the scatter plots, and how concentrated PVE is (the
// share of all PVE score held by the top 1 / 5 / 10 % of weights; the overlap of the top 5 % by
// PVE and by TFO): the evidence for claims (i) and (ii) of the paper. Intervals: percentile
// bootstrap over the weights (correlation.replicates resamples).
#include "cwrf/analysis/concentration.h"
#include "cwrf/analysis/correlation.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/experiment/analyses/common.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/models/weight_kinds.h"

#include <torch/torch.h>

namespace cwrf::experiment {

namespace {

nlohmann::json interval(const std::vector<double>& replicates) {
  return nlohmann::json::array({percentile(replicates, 0.025), percentile(replicates, 0.975)});
}

nlohmann::json run(const AnalysisRun& r) {
  const analysis::ModelContext context = analyses::open_analysed(r);
  const std::filesystem::path cache = analyses::scores_dir(context);
  const weights::Scores pve = analysis::model_scores(context, weights::ScoreMethod::Pve, cache);
  const weights::Scores tfo = analysis::model_scores(context, weights::ScoreMethod::Tfo, cache);
  models::ClassifierPtr model = job::load_model(context.dir, "final");
  const auto kinds = models::classify_weights(*model);
  const int64_t replicates = r.knobs.get_int("correlation.replicates");
  Table table = analysis::correlation_table(pve, tfo, kinds);
  // The bootstrap interval of each group's r, and the replicates themselves for differences between kinds.
  const auto reps = analysis::pcc_replicates(pve, tfo, kinds, replicates, 20240901);
  table.columns.push_back("pcc_low");
  table.columns.push_back("pcc_high");
  nlohmann::json replicate_json = nlohmann::json::object();
  for (auto& row : table.rows) {
    const std::vector<double>& v = reps.at(row[0].get<std::string>());
    row.push_back(percentile(v, 0.025));
    row.push_back(percentile(v, 0.975));
    replicate_json[row[0].get<std::string>()] = v;
  }
  analyses::write_table(table, r, "correlation");
  analysis::plot_score_scatter(pve, tfo, kinds, r.out, r.knobs.get_int("correlation.max_points"));
  const torch::Tensor flat_pve = analysis::gather_scores(pve, kinds, {});
  nlohmann::json concentration = nlohmann::json::object();
  for (const auto& [label, fraction] : std::vector<std::pair<std::string, double>>{{"1pct", 0.01}, {"5pct", 0.05},
                                                                                   {"10pct", 0.10}}) {
    concentration["pve_mass_top_" + label] = analysis::mass_share(pve, fraction);
    concentration["pve_mass_top_" + label + "_interval"] =
        interval(analysis::mass_share_replicates(flat_pve, fraction, replicates, 777));
    concentration["tfo_mass_top_" + label] = analysis::mass_share(tfo, fraction);
  }
  concentration["top_5pct_overlap_pve_tfo"] = analysis::top_overlap(pve, tfo, 0.05);
  // Two unrelated scores would overlap by 0.05 / (2 - 0.05) ≈ 2.6 % (Jaccard of independent 5 % sets).
  concentration["top_5pct_overlap_if_independent"] = 0.05 / (2.0 - 0.05);
  return analyses::table_result(table, {{"model", analyses::model_summary(context)},
                                        {"concentration", concentration},
                                        {"pcc_replicates", replicate_json}});
}

}  // namespace

AnalysisKind correlation_analysis() {
  AnalysisKind k;
  k.name = "correlation";
  k.description = "Table 1 / Fig. 3: PVE vs TFO scores per weight kind (Pearson), and how concentrated PVE is";
  k.knobs = {{"correlation.max_points", config::Type::Int, 20000, "points per scatter plot (a seeded subsample)", {},
              true, config::at_least(100)},
             {"correlation.replicates", config::Type::Int, 200,
              "bootstrap resamples of the weights for the intervals of r and of the PVE shares", {}, true,
              config::at_least(20)}};
  k.plan = [](const AnalysisPlanning&) { return std::vector<int>{}; };
  k.run = run;
  k.cost = 2.0;
  return k;
}

}  // namespace cwrf::experiment
