// Fig. 5 / Table 2 (Sec. 5.3): the top-r PVE weights removed (A1), rewound and the only ones
// fine-tuned (A2), or rewound and frozen while the rest is fine-tuned (A3, CWRF), each fine-tuned
// with the entry's defense, against that defense trained from scratch. A1 collapses, A2 / A3
// recover (claim iii); train / test cross-entropy per r as in Table 2.
#include "cwrf/analysis/studies.h"
#include "cwrf/experiment/analyses/common.h"

#include <fmt/format.h>

namespace cwrf::experiment {

namespace {

nlohmann::json run(const AnalysisRun& r) {
  std::vector<analysis::AblationModel> models;
  for (size_t i = 1; i < r.models.size(); ++i) {
    const nlohmann::json& role = r.labels.at(i - 1);
    models.push_back({role.at("approach").get<std::string>(), role.value("rate", -1.0), analyses::metrics_of(r.models[i]),
                      r.models[i].filename().string()});
  }
  const Table table = analysis::ablation_table(models);
  analyses::write_table(table, r, "ablation");
  analysis::plot_ablation(table, r.out);
  const job::ModelDir analysed = job::open_model_dir(r.models.at(0));
  return analyses::table_result(
      table, {{"defense", r.derived_overrides.value("defense.name", std::string("ce"))},
              {"test_size", analysed.metrics.value("test_size", int64_t{0})},
              {"model", {{"dir", analysed.name()},
                         {"architecture", analysed.spec.name},
                         {"width", analysed.spec.width},
                         {"test_acc", analysed.metrics.value("test_acc", 0.0)}}}});
}

}  // namespace

AnalysisKind ablation_analysis() {
  AnalysisKind k;
  k.name = "ablation";
  k.description = "Fig. 5 / Table 2: A1 remove / A2 rewind-only / A3 CWRF over r, and the defense from scratch";
  k.knobs = {{"ablation.rates", config::Type::FloatList, nlohmann::json::array({0.001, 0.01, 0.03, 0.05, 0.1}),
              "the fractions r of weights selected by PVE (paper Table 2: 0.1 %, 1 %, 3 %, 5 %)", {}, true,
              config::Bounds{0.0, 1.0, true, false}}};
  k.plan = [](const AnalysisPlanning& p) {
    std::vector<int> jobs;
    for (double rate : p.knobs.get_floats("ablation.rates"))
      for (const analysis::Approach& a : analysis::ablation_approaches())
        jobs.push_back(p.derive(analysis::ablation_overrides(a.mode, rate), {{"approach", a.label}, {"rate", rate}}));
    // The baseline: the fine-tuning objective trained from scratch (Fig. 5's dotted line, Table 2's last rows).
    jobs.push_back(p.train(nlohmann::json::object(), {{"approach", "scratch"}}));
    return jobs;
  };
  k.run = run;
  k.cost = 0.2;
  return k;
}

}  // namespace cwrf::experiment
