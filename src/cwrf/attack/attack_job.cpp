#include "cwrf/attack/attack_job.h"

#include "cwrf/attack/family.h"
#include "cwrf/attack/model_access.h"
#include "cwrf/attack/model_set.h"
#include "cwrf/attack/settings.h"
#include "cwrf/attack/signals.h"
#include "cwrf/common/blas.h"
#include "cwrf/common/device.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/threads.h"
#include "cwrf/job/model_dir.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

namespace cwrf::attack {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

std::string attack_job_key(const std::vector<std::string>& model_hashes, const config::Config& settings,
                           const std::vector<std::string>& queries) {
  Hasher key;
  key.update("cwrf-attack-v1\n");
  for (const std::string& h : model_hashes) key.update(h).update("|");
  key.update("\n").update(settings.canonical_text()).update("\n").update(nlohmann::json(queries).dump());
  return key.digest();
}

AttackJobResult run_attack_job(const AttackJob& job, const AttackJobCallbacks& callbacks) {
  const auto started = Clock::now();
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  const config::Config& settings = job.settings;
  check_attack_settings(settings);
  parse_device(job.device, fmt::format("device = \"{}\"", job.device));  // a missing GPU: before anything is read
  const ModelSet set = open_model_set(job.models);
  const std::string model_name = job::model_config(job::open_model_dir(set.models.front().path)).get_string("model.name");
  AttackJobResult result;
  result.queries = resolved_queries(settings, model_name);
  std::vector<std::string> hashes;
  for (const ModelInfo& m : set.models) hashes.push_back(m.hash);
  const std::string key = attack_job_key(hashes, settings, result.queries);

  const fs::path results_file = job.out / "results.json";
  if (job.reuse && fs::exists(results_file)) {
    nlohmann::json previous = nlohmann::json::parse(read_file(results_file));
    if (previous.value("job_key", "") == key) {
      result.results = std::move(previous);
      result.reused = true;
      result.seconds = seconds_since(started);
      return result;
    }
  }
  // Whatever is there now is about to be replaced: its results.json must not outlive it.
  std::error_code ec;
  fs::remove(results_file, ec);
  check_feasible(set.membership, settings);  // before minutes of inference
  apply_thread_count(resolve_threads(job.threads));

  SignalOptions so;
  so.queries = parse_queries(result.queries);
  so.batch_size = settings.get_int("attack.batch_size");
  so.device = job.device;
  so.cache_dir = job.cache;
  so.log = callbacks.log;
  if (callbacks.progress)
    so.progress = [&](int64_t done, int64_t total, const std::string& model) {
      callbacks.progress(static_cast<double>(done) / static_cast<double>(total),
                         fmt::format("signals {}/{} batches ({})", done, total, model));
    };
  log(fmt::format("attack: {} models sharing a pool of {} points (split of {} models), queries {}", set.models.size(),
                  set.pool.size(0), set.split_models, fmt::join(result.queries, ",")));
  const Signals signals = load_signals(set, so);
  result.signal_seconds = signals.seconds;
  result.signals_computed = signals.computed;
  result.signals_reused = signals.reused;

  // The models and their data, for the families that need more than signals and for vulnerable.png.
  ModelAccess access(set, so.queries, job.device, so.batch_size);
  bool needs_models = false;
  for (const std::string& name : settings.get_strings("attack.attacks")) needs_models |= find_family(name).needs_models;
  result.run = run_attacks(signals.logits, signals.labels, set.membership, settings, log, needs_models ? &access : nullptr);
  result.attack_seconds = result.run.seconds;

  nlohmann::json models = nlohmann::json::array();
  OutputContext context;
  for (const auto& m : set.models) {
    context.model_paths.push_back(m.path.string());
    nlohmann::json entry = {{"path", m.path.string()}, {"hash", m.hash}, {"split_model", m.split_model}};
    for (const char* metric : {"test_acc", "train_acc"})
      if (m.metrics.contains(metric)) entry[metric] = m.metrics[metric];
    // DP-SGD models: the accountant's (ε, δ), beside which the report puts the attacks' empirical ε.
    if (m.metrics.contains("noise_multiplier"))
      for (const char* metric : {"epsilon", "delta", "accountant", "noise_multiplier"})
        if (m.metrics.contains(metric)) entry[std::string("dp_") + metric] = m.metrics[metric];
    models.push_back(entry);
  }
  context.pool = set.pool;
  context.labels = signals.labels;
  if (settings.get_int("attack.vulnerable_grid") > 0 && access.image_data()) context.images = access.pool_images();
  context.plot = job.plot;
  context.extra = job.extra;
  context.extra["job_key"] = key;
  context.extra["cwrf_version"] = CWRF_VERSION;
  context.extra["models"] = models;
  context.extra["split_models"] = set.split_models;
  context.extra["pool_hash"] = set.pool_hash;
  context.extra["data_fingerprint"] = set.data_fingerprint;
  context.extra["queries"] = result.queries;
  context.extra["device"] = job.device;
  context.extra["threads"] = torch::get_num_threads();
  context.extra["blas"] = blas::info().describe();
  context.extra["signals"] = {{"seconds", signals.seconds},
                              {"computed_models", signals.computed},
                              {"cached_models", signals.reused},
                              {"cache", job.cache.string()}};
  const auto write_started = Clock::now();
  for (const std::string& w : write_attack_outputs(result.run, settings, job.out, context)) log("warning: " + w);
  result.write_seconds = seconds_since(write_started);
  result.results = nlohmann::json::parse(read_file(results_file));
  result.seconds = seconds_since(started);
  return result;
}

}  // namespace cwrf::attack
