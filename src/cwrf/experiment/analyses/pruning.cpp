// Fig. 1: one-shot pruning of the lowest-TFO weights over sparsities, no retraining: test
// accuracy and train / test cross-entropy against sparsity (Sec. 3: accuracy holds to high
// sparsity on a full-width ResNet18 while the train-test loss gap, the membership signal, stays).
#include "cwrf/analysis/pruning.h"
#include "cwrf/experiment/analyses/common.h"
#include "cwrf/models/registry.h"

namespace cwrf::experiment {

namespace {

nlohmann::json run(const AnalysisRun& r) {
  const analysis::ModelContext context = analyses::open_analysed(r);
  const weights::Scores tfo =
      analysis::model_scores(context, weights::ScoreMethod::Tfo, analyses::scores_dir(context));
  analysis::PruningOptions options;
  options.scope = context.config.get_string("cwrf.scope");
  options.criterion = r.knobs.get_string("pruning.criterion");
  options.recalibrate_norm = r.knobs.get_bool("pruning.recalibrate_norm");
  const Table table = analysis::pruning_sweep(context, tfo, r.knobs.get_floats("pruning.sparsities"), options);
  analyses::write_table(table, r, "pruning");
  analysis::plot_pruning(table, r.out);
  return analyses::table_result(table, {{"scope", options.scope},
                                        {"criterion", options.criterion},
                                        {"recalibrate_norm", options.recalibrate_norm},
                                        {"model", analyses::model_summary(context)}});
}

}  // namespace

AnalysisKind pruning_analysis() {
  AnalysisKind k;
  k.name = "pruning";
  k.description = "Fig. 1: one-shot TFO pruning over sparsities (test accuracy, train / test cross-entropy)";
  k.knobs = {{"pruning.sparsities", config::Type::FloatList, nlohmann::json::array({0.0, 0.5, 0.8, 0.9, 0.95, 0.99}),
              "fractions of the weights (of cwrf.scope's tensors) pruned, lowest TFO score first", {}, true,
              config::Bounds{0.0, 1.0, false, true}},
             {"pruning.criterion", config::Type::String, "tfo",
              "which weights go first: the lowest TFO scores (the paper) or the smallest |w| (a control)",
              analysis::pruning_criteria()},
             {"pruning.recalibrate_norm", config::Type::Bool, false,
              "re-estimate BatchNorm statistics on the training members after pruning (no weight changes)"}};
  k.plan = [](const AnalysisPlanning&) { return std::vector<int>{}; };
  k.run = run;
  k.cost = 1.0;
  return k;
}

}  // namespace cwrf::experiment
