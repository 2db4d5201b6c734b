#include "cwrf/weights/cwrf_job.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/seed.h"
#include "cwrf/common/tensor_io.h"
#include "cwrf/config/keys.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

namespace cwrf::weights {

namespace fs = std::filesystem;

namespace {

// Keys that define what the parent is: a derived model must keep them.
bool is_parent_defining(const std::string& key) {
  return key.rfind("data.", 0) == 0 || key.rfind("split.", 0) == 0 || key.rfind("model.", 0) == 0 || key == "epochs";
}

double elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string rate_tag(double rate) {
  std::string s = fmt::format("{:g}", rate * 100.0);
  return "r" + s;
}

}  // namespace

config::Config derived_config(const train::ModelDir& parent) {
  config::Config config(config::schema());
  config.merge_json(parent.manifest.at("config"), (parent.path / "manifest.json").string());
  return config;
}

void resolve_cwrf_config(config::Config& config, const train::ModelDir& parent) {
  const auto& original = parent.manifest.at("config");
  for (const auto& [key, value] : config.values()) {
    if (!is_parent_defining(key)) continue;
    const auto it = original.find(key);
    // A key the parent's config lacks was added to the schema after it was trained: it had the
    // default's meaning then.
    const config::Json before = it == original.end() ? config.schema().find(key)->default_value : *it;
    if (value != before)
      throw Error(fmt::format("config key '{}' = {} differs from the parent model's {} ({}); a rewound model keeps its "
                              "parent's data, split and architecture",
                              key, value.dump(), before.dump(), parent.path.string()));
  }
  if (!config.has("cwrf.lambda")) config.set("cwrf.lambda", parent.spec.num_classes >= 100 ? 0.9 : 0.7);
  const double rate = config.get_float("cwrf.rate");
  require(rate >= 0.0 && rate <= 1.0, fmt::format("config key 'cwrf.rate' must be in [0, 1], got {}", rate));
  const int64_t epochs = config.get_int("cwrf.epochs");
  require(epochs >= 0, fmt::format("config key 'cwrf.epochs' must be >= 0, got {}", epochs));
  // Fails early on the other ranges (λ, T, B, η_e).
  ScoreOptions o = score_options(config);
  require(o.lambda >= 0.0 && o.lambda <= 1.0, fmt::format("config key 'cwrf.lambda' must be in [0, 1], got {}", o.lambda));
  require(o.iterations > 0, fmt::format("config key 'cwrf.iterations' must be > 0, got {}", o.iterations));
  require(o.batch_size > 0, fmt::format("config key 'cwrf.batch_size' must be > 0, got {}", o.batch_size));
  require(o.lr >= 0.0, fmt::format("config key 'cwrf.score_lr' must be >= 0, got {}", o.lr));
}

ScoreOptions score_options(const config::Config& c) {
  ScoreOptions o;
  o.method = parse_score_method(c.get_string("cwrf.score"));
  o.iterations = c.get_int("cwrf.iterations");
  o.batch_size = c.get_int("cwrf.batch_size");
  o.lambda = c.has("cwrf.lambda") ? c.get_float("cwrf.lambda") : 0.7;
  o.lr = c.get_float("cwrf.score_lr");
  o.kl_reduction = c.get_string("cwrf.kl_reduction");
  o.seed = derive_seed(static_cast<uint64_t>(c.get_int("seed")), SeedDomain::kObjective, 0x5c0e);
  o.channels_last = c.get_string("channels_last") == "on";
  return o;
}

Scores parent_scores(const train::ModelDir& parent, const config::Config& resolved, const train::ModelSets& sets,
                     const fs::path& cache_dir) {
  const ScoreOptions o = score_options(resolved);
  const std::string key = Hasher()
                              .update(parent.hash())
                              .update(fmt::format("|{}|{}|{}|{}|{}|{}|{}", to_string(o.method), o.iterations,
                                                  o.batch_size, o.method == ScoreMethod::Pve ? o.lambda : 0.0, o.lr,
                                                  o.kl_reduction, o.seed))
                              .digest();
  const fs::path file = cache_dir / fmt::format("{}-{}-{}.pt", parent.path.filename().string(), to_string(o.method),
                                                key.substr(0, 16));
  if (fs::exists(file)) return load_scores(file);
  const Scores scores = compute_scores(parent.spec, load_tensors(parent.path / "final.pt"),
                                       load_tensors(parent.path / "init.pt"), sets.members, &sets.reference, o);
  save_scores(file, scores);
  return scores;
}

CwrfMasks cwrf_masks(const std::string& mode, const Scores& scores, double rate) {
  CwrfMasks m;
  if (mode == "lottery") {
    m.selected = bottom_fraction(scores, rate);  // pruned
    m.trainable = complement(m.selected);
  } else if (mode == "cwrf" || mode == "remove") {
    m.selected = top_fraction(scores, rate);
    m.trainable = complement(m.selected);  // Alg. 1 line 20: the update is multiplied by B_f
  } else if (mode == "rewind-only") {
    m.selected = top_fraction(scores, rate);
    m.trainable = m.selected;
  } else {
    throw Error(fmt::format("config key 'cwrf.mode' has unknown value '{}'", mode));
  }
  return m;
}

void apply_mode(const std::string& mode, models::Classifier& model, const TensorMap& theta_vn, const CwrfMasks& masks) {
  if (mode == "cwrf" || mode == "rewind-only") {
    rewind(model, theta_vn, masks.selected);  // Eq. 6
  } else if (mode == "remove") {
    zero_masked(model, masks.selected);
  } else if (mode == "lottery") {
    // M2 (Fig. 4): the survivors go back to their initial values, as does the rest of the
    // state (BatchNorm statistics): retraining starts from θ_vn with the pruned weights gone.
    train::load_model_state(model, theta_vn, "θ_vn");
    zero_masked(model, masks.selected);
  } else {
    throw Error(fmt::format("config key 'cwrf.mode' has unknown value '{}'", mode));
  }
}

train::TrainJobResult run_cwrf_job(config::Config config, const fs::path& parent_dir, const fs::path& out_root,
                                   const train::JobCallbacks& callbacks, const train::JobData* preloaded) {
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  const train::ModelDir parent = train::open_model_dir(parent_dir);
  resolve_cwrf_config(config, parent);
  const torch::Device device = train::resolve_device(config);
  train::JobData loaded;
  if (preloaded == nullptr) loaded = train::load_job_data(config);
  const train::JobData& job = preloaded != nullptr ? *preloaded : loaded;
  if (job.fingerprint != parent.manifest.at("data_fingerprint").get<std::string>())
    throw Error(fmt::format("the dataset files differ from those {} was trained on (data fingerprint changed)",
                            parent.path.string()));
  train::resolve_config(config, job);
  const std::string mode = config.get_string("cwrf.mode");
  const double rate = config.get_float("cwrf.rate");
  const int64_t epochs = config.get_int("cwrf.epochs");

  std::unique_ptr<train::Objective> objective = train::make_objective(config);
  const int64_t members_count =
      data::train_indices(train::make_job_split(config, job), config.get_int("split.model")).size(0);
  std::unique_ptr<train::StepStrategy> step =
      train::make_step_strategy(config, train::step_context_for(config, members_count, epochs));

  const std::string hash = train::model_hash(config, job, parent.hash());
  const fs::path final_dir =
      out_root / fmt::format("{}-{}-{}-{}-m{}-{}", config.get_string("model.name"), config.get_string("defense.name"),
                             mode, rate_tag(rate), config.get_int("split.model"), hash.substr(0, 16));
  train::TrainJobResult result;
  result.dir = final_dir;
  if (train::is_complete_model_dir(final_dir)) {
    result.reused = true;
    result.metrics = nlohmann::json::parse(read_file(final_dir / "metrics.json"));
    log(fmt::format("found finished model {}", final_dir.string()));
    return result;
  }
  train::remove_stale_staging_dirs(out_root);
  train::apply_thread_count(config.get_int("threads"));
  const train::ModelSets sets = train::prepare_model_sets(config, job, device);
  const auto parent_membership = nlohmann::json::parse(read_file(parent.path / "membership.json"));
  if (content_hash(sets.split.keep) != parent_membership.at("keep_hash").get<std::string>())
    throw Error(fmt::format("the membership split recomputed for {} differs from the one it recorded", parent.path.string()));

  // θ_up, θ_vn, scores, masks.
  const auto started = std::chrono::steady_clock::now();
  const TensorMap theta_vn = load_tensors(parent.path / "init.pt");
  models::ClassifierPtr model = train::load_model(parent, "final");
  model->to(device);
  log(fmt::format("scoring {} weights of {} ({}, T={}, λ={})", models::count_parameters(*model),
                  parent.path.filename().string(), config.get_string("cwrf.score"), config.get_int("cwrf.iterations"),
                  config.get_float("cwrf.lambda")));
  const Scores scores = parent_scores(parent, config, sets, out_root / "scores");
  const double score_seconds = elapsed_since(started);
  const CwrfMasks masks = cwrf_masks(mode, scores, rate);
  apply_mode(mode, *model, theta_vn, masks);
  const train::TrainOptions base_options = train::job_train_options(config, job);
  const train::EvalResult rewound_test = train::evaluate(*model, sets.test, base_options.eval_batch_size);
  const train::EvalResult rewound_train = train::evaluate(*model, sets.members, base_options.eval_batch_size);
  log(fmt::format("{} {} of {} weights ({}): test acc {:.4f}, train acc {:.4f} before fine-tuning", mode,
                  count_true(masks.selected), count_all(masks.selected), rate_tag(rate), rewound_test.accuracy,
                  rewound_train.accuracy));

  const fs::path staging = make_staging_dir(final_dir);
  try {
    write_file_atomic(staging / "manifest.json",
                      train::make_manifest("cwrf", hash, parent.hash(), config, job, parent.spec).dump(2) + "\n");
    write_file_atomic(staging / "config.toml", config.to_toml());
    save_tensors(staging / "init.pt", theta_vn);
    save_tensors(staging / "rewound.pt", train::model_state(*model));
    save_tensors(staging / "mask.pt", masks.selected);
    train::write_membership_files(staging, config, sets);
    train::write_vocabulary_file(staging, job);

    // Fine-tuning: the learning rate is rewound to `lr` with a fresh cosine schedule over E epochs.
    train::TrainOptions options = base_options;
    options.epochs = epochs;
    options.data_seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kDataOrder, 0xf1);
    train::EpochLog epoch_log(staging / "log.jsonl");
    train::TrainResult trained;
    if (epochs > 0) {
      log(fmt::format("fine-tuning with {} for {} epochs, {} of {} weights trainable", objective->name(), epochs,
                      count_true(masks.trainable), count_all(masks.trainable)));
      trained = train::train_model(*model, {&sets.members, &sets.test, &sets.reference}, *objective, *step, options,
                                   &masks.trainable, epoch_log.wrap(callbacks.train));
    }
    save_tensors(staging / "final.pt", train::model_state(*model));
    result.metrics = train::final_metrics(*model, sets, options, trained, *step);
    result.metrics["rewound_test_acc"] = rewound_test.accuracy;
    result.metrics["rewound_test_loss"] = rewound_test.loss;
    result.metrics["rewound_train_acc"] = rewound_train.accuracy;
    result.metrics["rewound_train_loss"] = rewound_train.loss;
    result.metrics["selected_weights"] = count_true(masks.selected);
    result.metrics["total_weights"] = count_all(masks.selected);
    result.metrics["score_seconds"] = score_seconds;
    result.metrics["parent_test_acc"] = parent.metrics.value("test_acc", std::nan(""));
    write_file_atomic(staging / "metrics.json", result.metrics.dump(2) + "\n");
    publish_dir(staging, final_dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  return result;
}

}  // namespace cwrf::weights
