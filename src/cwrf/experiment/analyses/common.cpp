#include "cwrf/experiment/analyses/common.h"

#include "cwrf/common/files.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/models/registry.h"

namespace cwrf::experiment::analyses {

analysis::ModelContext open_analysed(const AnalysisRun& run) {
  return analysis::open_model_context(run.models.at(0), [&](config::Config& c) {
    for (const auto& [key, value] : run.derived_overrides.items())
      if (key.rfind("cwrf.", 0) == 0) c.set(key, value, "the analysis's keys");
    c.set("threads", run.threads);
  });
}

std::filesystem::path scores_dir(const analysis::ModelContext& context) {
  return context.dir.path.parent_path() / "scores";
}

nlohmann::json model_summary(const analysis::ModelContext& context) {
  models::ClassifierPtr model = job::load_model(context.dir, "final");
  return {{"dir", context.dir.name()},
          {"architecture", context.dir.spec.name},
          {"width", context.dir.spec.width},
          {"weights", models::count_parameters(*model)},
          {"test_acc", context.dir.metrics.value("test_acc", 0.0)}};
}

nlohmann::json metrics_of(const std::filesystem::path& dir) {
  return nlohmann::json::parse(read_file(dir / "metrics.json"));
}

nlohmann::json table_result(const Table& table, nlohmann::json extra) {
  extra["columns"] = table.columns;
  extra["table"] = table.to_json();
  return extra;
}

void write_table(const Table& table, const AnalysisRun& run, const std::string& stem) { table.write(run.out / stem); }

}  // namespace cwrf::experiment::analyses
