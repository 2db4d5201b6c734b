#include "cwrf/job/model_job.h"

#include "cwrf/common/blas.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/phase_timer.h"
#include "cwrf/common/seed.h"
#include "cwrf/common/tensor_io.h"
#include "cwrf/common/threads.h"
#include "cwrf/job/epoch_log.h"
#include "cwrf/models/model_state.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/op_profile.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/weights/cwrf_keys.h"
#include "cwrf/weights/cwrf_step.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <optional>

namespace cwrf::job {

namespace {

// Keys that define what the parent is: a derived model must keep them.
bool is_parent_defining(const std::string& key) {
  return key.rfind("data.", 0) == 0 || key.rfind("split.", 0) == 0 || key.rfind("model.", 0) == 0 || key == "epochs";
}

// The BLAS library's core and pool size while this model trained (a speed fact, never identity).
nlohmann::json blas_json() {
  const blas::Info i = blas::info();
  return {{"library", i.library}, {"core", i.core}, {"chosen_by", i.chosen_by}, {"threads", i.threads}};
}

// Eval-mode loss/accuracy on members, test, reference and validation sets, timing, and the
// step strategy's report (DP-SGD: ε), for metrics.json.
nlohmann::json final_metrics(models::Classifier& model, const ModelSets& sets, const train::TrainOptions& options,
                             const train::TrainResult& trained, const train::StepStrategy& step) {
  using train::evaluate;
  const train::EvalResult on_train = evaluate(model, sets.members, options.eval_batch_size, options.channels_last);
  // The training loop's last evaluation is of this very model: reuse it rather than run it twice.
  train::EvalResult on_test;
  if (!trained.history.empty() && std::isfinite(trained.history.back().test_acc)) {
    on_test.loss = trained.history.back().test_loss;
    on_test.accuracy = trained.history.back().test_acc;
  } else {
    on_test = evaluate(model, sets.test, options.eval_batch_size, options.channels_last);
  }
  const train::EvalResult on_ref = evaluate(model, sets.reference, options.eval_batch_size, options.channels_last);
  nlohmann::json metrics = {
      {"test_acc", on_test.accuracy},
      {"test_loss", on_test.loss},
      {"train_acc", on_train.accuracy},
      {"train_loss", on_train.loss},
      {"reference_acc", on_ref.accuracy},
      {"reference_loss", on_ref.loss},
      {"epochs", options.epochs},
      {"train_size", sets.members.size()},
      {"test_size", sets.test.size()},
      {"train_seconds", trained.seconds},
      {"images_per_second", trained.seconds > 0 ? sets.members.size() * options.epochs / trained.seconds : 0.0},
      {"threads", torch::get_num_threads()},
      {"blas", blas_json()}};
  // A named copy: items() of the temporary report() would dangle inside the range-for.
  const nlohmann::json report = step.report();
  for (const auto& [key, value] : report.items()) metrics[key] = value;
  if (sets.validation) {
    const train::EvalResult on_val = evaluate(model, *sets.validation, options.eval_batch_size, options.channels_last);
    metrics["val_acc"] = on_val.accuracy;
    metrics["val_loss"] = on_val.loss;
  }
  return metrics;
}

}  // namespace

void resolve_derived_config(config::Config& config, const ModelDir& parent) {
  const auto& original = parent.manifest.at("config");
  for (const auto& [key, value] : config.values()) {
    if (!is_parent_defining(key)) continue;
    const auto it = original.find(key);
    // A key the parent's config lacks was added to the schema after it was trained: it had the
    // default's meaning then.
    const config::Json before = it == original.end() ? config.schema().find(key)->default_value : *it;
    if (value != before)
      throw Error(fmt::format("{} = {} differs from the parent model's {} ({}); a derived model keeps its "
                              "parent's data, split and architecture",
                              config.label(key), value.dump(), before.dump(), parent.path.string()));
  }
  if (!config.has("cwrf.lambda")) config.set("cwrf.lambda", weights::default_lambda(parent.spec.num_classes));
}

ModelJobResult run_model_job(config::Config config, const fs::path& out_root, const fs::path& parent_dir,
                             const JobCallbacks& callbacks, const JobData* preloaded) {
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  // The program's own start-up counts for the first job of a process only (a worker's later jobs
  // find everything loaded).
  static bool first_job = true;
  const double startup_seconds = first_job ? seconds_since_process_start() : 0.0;
  first_job = false;
  PhaseTimer timer;
  const bool derived = !parent_dir.empty();
  std::optional<ModelDir> parent;
  if (derived) {
    parent = open_model_dir(parent_dir);
    resolve_derived_config(config, *parent);
  } else {
    // A model trained from scratch does not depend on the CWRF keys: keep them out of its
    // config and hash (they belong to derived models).
    if (const auto changed = config.changed_keys("cwrf."); !changed.empty())
      throw Error(fmt::format("{} applies to a CWRF step (`cwrf rewind`, a CWRF row), not to training from scratch",
                              config.label(changed.front())));
    config.clear_prefix("cwrf.");
  }
  const torch::Device device = resolve_device(config);  // before any work: a missing GPU is one clear error
  // cuda:N is the current device for the job's lifetime, so nothing lands on another GPU.
  std::optional<c10::DeviceGuard> device_guard;
  if (device.is_cuda()) device_guard.emplace(device);
  JobData loaded;
  if (preloaded == nullptr) loaded = load_job_data(config);
  timer.mark("load_data");
  const JobData& job = preloaded != nullptr ? *preloaded : loaded;
  if (derived && job.fingerprint != parent->manifest.at("data_fingerprint").get<std::string>())
    throw Error(fmt::format("the dataset files differ from those {} was trained on (data fingerprint changed)",
                            parent->path.string()));
  resolve_config(config, job);
  const int64_t epochs = config.get_int(derived ? "cwrf.epochs" : "epochs");

  // The objective and the step strategy resolve their own defaults into the config, so they
  // are built before hashing. The split is cheap and fixes the member count the step needs.
  std::unique_ptr<train::Objective> objective = train::make_objective(config);
  const int64_t members_count = data::train_indices(make_job_split(config, job), config.get_int("split.model")).size(0);
  std::unique_ptr<train::StepStrategy> step =
      train::make_step_strategy(config, step_context_for(config, members_count, epochs));

  const std::string hash = model_hash(config, job.fingerprint, derived ? parent->hash() : "");
  const fs::path final_dir = out_root / model_dir_name(config, hash, derived);
  ModelJobResult result;
  result.dir = final_dir;
  if (is_complete_model_dir(final_dir)) {
    result.reused = true;
    result.metrics = nlohmann::json::parse(read_file(final_dir / "metrics.json"));
    log(fmt::format("found finished model {}", final_dir.string()));
    return result;
  }
  remove_stale_staging_dirs(out_root);
  apply_thread_count(config.get_int("threads"));
  timer.mark("resolve");
  const ModelSets sets = prepare_model_sets(config, job, device);
  const models::ModelSpec spec = model_spec_for(config, job);
  timer.mark("prepare_sets");

  // θ_vn, and the model the training loop starts from: a fresh initialisation, or the
  // parent's θ_up through the CWRF step.
  models::ClassifierPtr model;
  TensorMap theta_vn;
  std::optional<weights::CwrfMasks> masks;
  double score_seconds = 0.0;
  train::EvalResult rewound_test, rewound_train;
  train::TrainOptions options = job_train_options(config, job);
  if (!derived) {
    torch::manual_seed(derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kModelInit));
    model = models::make_model(spec);
    model->to(device);
    theta_vn = models::model_state(*model);
  } else {
    const auto recorded = nlohmann::json::parse(read_file(parent->path / "membership.json"));
    if (content_hash(sets.split.keep) != recorded.at("keep_hash").get<std::string>())
      throw Error(fmt::format("the membership split recomputed for {} differs from the one it recorded",
                              parent->path.string()));
    theta_vn = load_tensors(parent->path / "init.pt");
    model = load_model(*parent, "final");
    model->to(device);
    log(fmt::format("scoring {} weights of {} ({}, T={}, λ={})", models::count_parameters(*model), parent->name(),
                    config.get_string("cwrf.score"), config.get_int("cwrf.iterations"), config.get_float("cwrf.lambda")));
    const auto started = std::chrono::steady_clock::now();
    const weights::Scores scores = model_scores(*parent, config, sets, out_root / "scores");
    score_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string mode = config.get_string("cwrf.mode");
    masks = weights::cwrf_masks(mode, scores, config.get_float("cwrf.rate"),  // Eq. 5
                                weights::scope_tensors(config.get_string("cwrf.scope"), *model));
    weights::apply_mode(mode, *model, theta_vn, *masks);                     // Eq. 6 (or the ablation's)
    rewound_test = train::evaluate(*model, sets.test, options.eval_batch_size, options.channels_last);
    rewound_train = train::evaluate(*model, sets.members, options.eval_batch_size, options.channels_last);
    log(fmt::format("{} {} of {} weights (r = {:g}): test acc {:.4f}, train acc {:.4f} before fine-tuning", mode,
                    weights::count_true(masks->selected), weights::count_all(masks->selected),
                    config.get_float("cwrf.rate"), rewound_test.accuracy, rewound_train.accuracy));
    // Fine-tuning: the learning rate rewound to `lr`, a fresh cosine schedule over E epochs.
    options.epochs = epochs;
    options.data_seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kDataOrder, 0xf1);
  }

  timer.mark(derived ? "cwrf_step" : "initialise");
  ModelDirWriter dir(final_dir);
  dir.write_manifest(derived ? "cwrf" : "trained", hash, derived ? parent->hash() : "", config, job, spec);
  dir.write_config(config);
  dir.write_tensors("init.pt", theta_vn);
  if (masks) {
    dir.write_tensors("rewound.pt", models::model_state(*model));
    dir.write_tensors("mask.pt", masks->selected);
  }
  dir.write_membership(config, sets);
  dir.write_vocabulary(job);

  timer.mark("write");
  EpochLog epoch_log(dir.staging() / "log.jsonl", *step);
  train::TrainResult trained;
  if (epochs > 0) {
    log(fmt::format("{} {} ({} parameters{}) with {} on {} {} examples, {} epochs, {} threads",
                    derived ? "fine-tuning" : "training", spec.name, models::count_parameters(*model),
                    masks ? fmt::format(", {} trainable", weights::count_true(masks->trainable)) : "",
                    objective->name(), sets.members.size(), job.data.train.name, options.epochs,
                    torch::get_num_threads()));
    trained = train::train_model(*model, {&sets.members, &sets.test, &sets.reference}, *objective, *step, options,
                                 masks ? &masks->trainable : nullptr, epoch_log.wrap(callbacks.train));
  }
  timer.mark("train");
  dir.write_tensors("final.pt", models::model_state(*model));
  timer.mark("write");
  result.metrics = final_metrics(*model, sets, options, trained, *step);
  timer.mark("evaluate");
  if (masks) {
    result.metrics["rewound_test_acc"] = rewound_test.accuracy;
    result.metrics["rewound_test_loss"] = rewound_test.loss;
    result.metrics["rewound_train_acc"] = rewound_train.accuracy;
    result.metrics["rewound_train_loss"] = rewound_train.loss;
    result.metrics["selected_weights"] = weights::count_true(masks->selected);
    result.metrics["total_weights"] = weights::count_all(masks->selected);
    result.metrics["score_seconds"] = score_seconds;
    result.metrics["parent_test_acc"] = parent->metrics.value("test_acc", std::nan(""));
  }
  if (!trained.profile.is_null()) {
    dir.write_json("profile.json", trained.profile);
    dir.write_text("profile.md", train::OpProfile::markdown(trained.profile));
  }
  // Where the job's time went (the process's own start-up before it, when it is a child job).
  result.metrics["timing"] = timer.to_json();
  result.metrics["timing"]["process_startup"] = startup_seconds;
  dir.write_metrics(result.metrics);
  dir.publish();
  return result;
}

weights::Scores model_scores(const ModelDir& model, const config::Config& resolved, const ModelSets& sets,
                             const fs::path& cache_dir) {
  const weights::ScoreOptions options = weights::score_options(resolved);
  const std::string key = Hasher().update(model.hash()).update("|").update(weights::score_options_key(options)).digest();
  const fs::path file =
      cache_dir / fmt::format("{}-{}-{}.pt", model.name(), weights::to_string(options.method), key.substr(0, 16));
  return weights::cached_scores(model.spec, load_tensors(model.path / "final.pt"), load_tensors(model.path / "init.pt"),
                                sets.members, sets.reference, options, file);
}

}  // namespace cwrf::job
