// The analysis kinds, one entry each; a kind's planning and computing live in analyses/<kind>.cpp.
#include "cwrf/experiment/analyses.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <map>
#include <memory>

namespace cwrf::experiment {

AnalysisKind correlation_analysis();  // analyses/correlation.cpp
AnalysisKind pruning_analysis();      // analyses/pruning.cpp
AnalysisKind lottery_analysis();      // analyses/lottery.cpp
AnalysisKind ablation_analysis();     // analyses/ablation.cpp
AnalysisKind rewinding_analysis();    // analyses/rewinding.cpp

const std::vector<AnalysisKind>& analysis_kinds() {
  static const std::vector<AnalysisKind> kinds = {
      correlation_analysis(), pruning_analysis(), lottery_analysis(), ablation_analysis(), rewinding_analysis(),
  };
  return kinds;
}

const AnalysisKind& find_analysis(const std::string& name) {
  for (const AnalysisKind& k : analysis_kinds())
    if (k.name == name) return k;
  std::string known;
  for (const AnalysisKind& k : analysis_kinds()) known += (known.empty() ? "" : ", ") + k.name;
  throw Error(fmt::format("unknown analysis kind '{}'; known: {}", name, known));
}

const config::Schema& analysis_schema(const std::string& kind) {
  static std::map<std::string, std::unique_ptr<config::Schema>> schemas;
  auto& s = schemas[kind];
  if (!s) {
    s = std::make_unique<config::Schema>();
    s->add(find_analysis(kind).knobs);
  }
  return *s;
}

nlohmann::json run_analysis_job(const nlohmann::json& spec) {
  const AnalysisKind& kind = find_analysis(spec.at("analysis").get<std::string>());
  const std::filesystem::path out = spec.at("out").get<std::string>();
  const std::string key = spec.value("key", std::string());
  // A finished analysis of the same job (its key: the inputs' identities and the knobs) stands.
  if (!key.empty() && std::filesystem::exists(out / "result.json")) {
    nlohmann::json previous = nlohmann::json::parse(read_file(out / "result.json"));
    if (previous.value("job_key", "") == key) {
      previous["reused"] = true;
      return previous;
    }
  }
  config::Config knobs(analysis_schema(kind.name));
  knobs.merge_json(spec.at("knobs"), "job spec");
  AnalysisRun run(knobs);
  run.kind = kind.name;
  run.name = spec.at("name").get<std::string>();
  run.derived_overrides = spec.value("derived", nlohmann::json::object());
  for (const auto& m : spec.at("models")) run.models.push_back(m.get<std::string>());
  for (const auto& r : spec.value("roles", nlohmann::json::array())) run.labels.push_back(r);
  run.out = spec.at("out").get<std::string>();
  run.threads = spec.value("threads", int64_t{1});
  // result.json last: its presence means the folder is whole.
  std::filesystem::create_directories(run.out);
  nlohmann::json result = kind.run(run);
  result["kind"] = kind.name;
  result["name"] = run.name;
  result["job_key"] = key;
  write_file_atomic(run.out / "result.json", result.dump(2) + "\n");
  result["reused"] = false;
  return result;
}

}  // namespace cwrf::experiment
