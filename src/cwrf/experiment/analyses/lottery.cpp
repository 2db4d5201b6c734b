// Fig. 4 (Sec. 4.4): M1 trained from scratch; M2 = M1 with the lowest-TFO `sparsity` of its
// weights pruned, the survivors rewound to their initial values and retrained; M3 = the same
// pruning of M1 without retraining. M2 ≈ M1 > M3: the important weights' locations, not their
// values, carry the accuracy (claim iii).
#include "cwrf/analysis/studies.h"
#include "cwrf/experiment/analyses/common.h"

namespace cwrf::experiment {

namespace {

nlohmann::json run(const AnalysisRun& r) {
  const analysis::ModelContext m1 = analyses::open_analysed(r);
  const double sparsity = r.knobs.get_float("lottery.sparsity");
  const job::ModelDir m2 = job::open_model_dir(r.models.at(1));
  const Table table = analysis::lottery_table(m1, m2, sparsity, analyses::scores_dir(m1));
  analyses::write_table(table, r, "lottery");
  analysis::plot_lottery(table, r.out);
  return analyses::table_result(table, {{"sparsity", sparsity},
                                        {"scope", m1.config.get_string("cwrf.scope")},
                                        {"test_size", m1.dir.metrics.value("test_size", int64_t{0})},
                                        {"model", analyses::model_summary(m1)}});
}

}  // namespace

AnalysisKind lottery_analysis() {
  AnalysisKind k;
  k.name = "lottery";
  k.description = "Fig. 4: M1 trained / M2 pruned by TFO, rewound and retrained / M3 pruned, not retrained";
  k.knobs = {{"lottery.sparsity", config::Type::Float, 0.85, "the fraction of M1's weights pruned for M2 and M3 (paper: 85 %)",
              {}, true, config::Bounds{0.0, 1.0, true, true}}};
  k.plan = [](const AnalysisPlanning& p) {
    const double sparsity = p.knobs.get_float("lottery.sparsity");
    return std::vector<int>{p.derive(analysis::lottery_overrides(sparsity, p.model_epochs), {{"model", "M2"}})};
  };
  k.run = run;
  k.cost = 0.5;
  return k;
}

}  // namespace cwrf::experiment
