#include "cwrf/experiment/child_job.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/job/keys.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/job/model_job.h"

#include <chrono>
#include <cmath>
#include <iostream>

namespace cwrf::experiment {

nlohmann::json job_spec(const std::string& kind, const nlohmann::json& config, const std::string& parent,
                        const std::filesystem::path& out, int64_t threads) {
  return {{"kind", kind}, {"config", config}, {"parent", parent}, {"out", out.string()}, {"threads", threads}};
}

namespace {

void emit(const nlohmann::json& event) { std::cout << event.dump() << "\n" << std::flush; }

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

void run_child_job(const nlohmann::json& spec, job::JobDataCache* cache) {
  const std::string kind = spec.at("kind");
  const std::filesystem::path out = spec.at("out").get<std::string>();
  const int64_t threads = spec.value("threads", 1);

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

  // Both kinds run the one model-job pipeline; a cwrf job starts from its parent's config.
  if (kind != "train" && kind != "cwrf") throw Error("job spec: unknown kind '" + kind + "'");
  const std::filesystem::path parent = kind == "cwrf" ? spec.at("parent").get<std::string>() : std::string();
  config::Config c = parent.empty() ? config::Config(job::schema()) : job::model_config(job::open_model_dir(parent));
  c.merge_json(spec.at("config"), "job spec");
  c.set("threads", threads);
  epochs = c.get_int(parent.empty() ? "epochs" : "cwrf.epochs");
  const job::ModelJobResult result = job::run_model_job(c, out, parent, callbacks, cache ? &cache->get(c) : nullptr);
  emit({{"event", "done"}, {"dir", result.dir.string()}, {"reused", result.reused}, {"metrics", result.metrics}});
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
