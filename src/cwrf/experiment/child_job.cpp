#include "cwrf/experiment/child_job.h"

#include "cwrf/attack/attack_job.h"
#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/experiment/analyses.h"
#include "cwrf/job/keys.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/job/model_job.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>

namespace cwrf::experiment {

namespace {

void emit(const nlohmann::json& event) { std::cout << event.dump() << "\n" << std::flush; }

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

struct Done {
  std::string dir;
  bool reused = false;
  nlohmann::json result;
};

// A model job (train from scratch, or CWRF from a parent) through the one pipeline.
Done run_model(const nlohmann::json& spec, job::JobDataCache* cache) {
  const std::filesystem::path out = spec.at("out").get<std::string>();
  const std::filesystem::path parent = spec.value("parent", std::string());
  job::JobCallbacks callbacks;
  callbacks.log = [](const std::string& text) { emit({{"event", "log"}, {"text", text}}); };
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  int64_t epochs = 0;
  callbacks.train.on_batch = [&](int64_t epoch, int64_t batch, int64_t batches, double loss) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(300) && batch + 1 < batches) return;
    last = now;
    emit({{"event", "progress"}, {"epoch", epoch}, {"epochs", epochs}, {"batch", batch + 1}, {"batches", batches},
          {"loss", finite_or_null(loss)}});
  };
  callbacks.train.on_epoch = [&](const train::EpochRecord& r) {
    emit({{"event", "epoch"}, {"epoch", r.epoch}, {"epochs", epochs}, {"train_loss", finite_or_null(r.train_loss)},
          {"test_acc", finite_or_null(r.test_acc)}, {"seconds", r.seconds}});
  };
  config::Config c = parent.empty() ? config::Config(job::schema()) : job::model_config(job::open_model_dir(parent));
  c.merge_json(spec.at("config"), "job spec");
  c.set("threads", spec.value("threads", int64_t{1}));
  if (spec.contains("device")) c.set("device", spec.at("device"), "job spec");  // the scheduler's GPU for this worker
  epochs = c.get_int(parent.empty() ? "epochs" : "cwrf.epochs");
  const job::ModelJobResult r = job::run_model_job(c, out, parent, callbacks, cache ? &cache->get(c) : nullptr);
  return {r.dir.string(), r.reused, r.metrics};
}

// One row and run's attacks (attack/attack_job.h).
Done run_attack(const nlohmann::json& spec, job::JobDataCache*) {
  config::Config settings(attack::attack_schema());
  settings.merge_json(spec.at("settings"), "job spec");
  attack::AttackJob job(settings);
  for (const auto& m : spec.at("models")) job.models.push_back(m.get<std::string>());
  job.out = spec.at("out").get<std::string>();
  job.cache = job.out / "signals";
  job.threads = spec.value("threads", int64_t{1});
  job.device = spec.value("device", std::string("cpu"));
  job.reuse = true;
  job.extra = spec.value("extra", nlohmann::json::object());
  attack::AttackJobCallbacks callbacks;
  callbacks.log = [](const std::string& text) { emit({{"event", "log"}, {"text", text}}); };
  const attack::AttackJobResult r = attack::run_attack_job(job, callbacks);
  return {job.out.string(), r.reused, r.results};
}

// An [[analysis]] over its models (analyses.h).
Done run_analysis(const nlohmann::json& spec, job::JobDataCache*) {
  const nlohmann::json result = run_analysis_job(spec);
  return {spec.at("out").get<std::string>(), result.value("reused", false), result};
}

using Runner = std::function<Done(const nlohmann::json&, job::JobDataCache*)>;

// The job kinds, one entry each.
const std::map<std::string, Runner>& kinds() {
  static const std::map<std::string, Runner> table = {
      {"train", run_model},
      {"cwrf", run_model},
      {"attack", run_attack},
      {"analysis", run_analysis},
  };
  return table;
}

}  // namespace

std::vector<std::string> job_kinds() {
  std::vector<std::string> names;
  for (const auto& [name, runner] : kinds()) names.push_back(name);
  return names;
}

nlohmann::json run_child_job(const nlohmann::json& spec, job::JobDataCache* cache) {
  const std::string kind = spec.at("kind");
  const auto it = kinds().find(kind);
  if (it == kinds().end()) throw Error("job spec: unknown kind '" + kind + "'");
  const Done done = it->second(spec, cache);
  nlohmann::json payload = {{"dir", done.dir}, {"reused", done.reused}, {"result", done.result}};
  nlohmann::json event = {{"event", "done"}};
  event.update(payload);
  emit(event);
  return payload;
}

void run_worker(std::istream& specs) {
  job::JobDataCache cache;
  std::string path;
  while (std::getline(specs, path)) {
    if (path.empty()) continue;
    try {
      run_child_job(nlohmann::json::parse(read_file(path)), &cache);
    } catch (const std::exception& e) {
      // LibTorch messages carry a backtrace after the first line.
      const std::string what = e.what();
      emit({{"event", "failed"}, {"error", what.substr(0, what.find('\n'))}});
    }
  }
}

}  // namespace cwrf::experiment
