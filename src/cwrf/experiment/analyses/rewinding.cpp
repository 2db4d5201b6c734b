// Sec. 4.3: "rewinding ... usually leads to random-guess-level utility": the accuracy right after
// the top-r PVE weights are rewound to their initial values, before any fine-tuning (CWRF with
// E = 0), against the trained model's and chance.
#include "cwrf/analysis/studies.h"
#include "cwrf/experiment/analyses/common.h"

namespace cwrf::experiment {

namespace {

nlohmann::json run(const AnalysisRun& r) {
  const job::ModelDir analysed = job::open_model_dir(r.models.at(0));
  std::vector<std::pair<double, nlohmann::json>> models;
  for (size_t i = 1; i < r.models.size(); ++i)
    models.emplace_back(r.labels.at(i - 1).at("rate").get<double>(), analyses::metrics_of(r.models[i]));
  const Table table = analysis::rewinding_table(models, analysed.metrics, analysed.spec.num_classes);
  analyses::write_table(table, r, "rewinding");
  return analyses::table_result(
      table, {{"test_size", analysed.metrics.value("test_size", int64_t{0})},
              {"model", {{"dir", analysed.name()},
                         {"architecture", analysed.spec.name},
                         {"width", analysed.spec.width},
                         {"test_acc", analysed.metrics.value("test_acc", 0.0)}}}});
}

}  // namespace

AnalysisKind rewinding_analysis() {
  AnalysisKind k;
  k.name = "rewinding";
  k.description = "Sec. 4.3: test accuracy right after rewinding the top-r PVE weights, before fine-tuning";
  k.knobs = {{"rewinding.rates", config::Type::FloatList, nlohmann::json::array({0.001, 0.01, 0.05, 0.1}),
              "the fractions r of weights rewound", {}, true, config::Bounds{0.0, 1.0, true, false}}};
  k.plan = [](const AnalysisPlanning& p) {
    std::vector<int> jobs;
    for (double rate : p.knobs.get_floats("rewinding.rates"))
      jobs.push_back(p.derive(analysis::rewinding_overrides(rate), {{"rate", rate}}));
    return jobs;
  };
  k.run = run;
  k.cost = 0.1;
  return k;
}

}  // namespace cwrf::experiment
