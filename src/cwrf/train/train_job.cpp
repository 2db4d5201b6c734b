#include "cwrf/train/train_job.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/npy.h"
#include "cwrf/common/seed.h"
#include "cwrf/common/tensor_io.h"
#include "cwrf/config/keys.h"
#include "cwrf/data/augment.h"
#include "cwrf/data/batches.h"
#include "cwrf/data/loaders.h"
#include "cwrf/data/normalize.h"
#include "cwrf/data/tokenizer.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/model_dir.h"
#include "cwrf/train/objectives/registry.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>

namespace cwrf::train {

namespace {

// Bump when the meaning of an artifact changes, so old directories are never reused.
constexpr int kArtifactFormat = 1;

nlohmann::json spec_json(const models::ModelSpec& s) {
  return {{"name", s.name},       {"in_channels", s.in_channels}, {"image_size", s.image_size},
          {"vocab_size", s.vocab_size}, {"seq_len", s.seq_len},
          {"num_classes", s.num_classes}, {"width", s.width},     {"depth", s.depth},
          {"heads", s.heads},     {"mlp_dim", s.mlp_dim},         {"patch", s.patch},
          {"norm", s.norm},       {"dropout", s.dropout}};
}

models::ModelSpec full_spec(const config::Config& config, const data::Dataset& train) {
  models::ModelSpec spec = config::model_spec(config);
  const bool text_model = models::is_text_model(spec.name);
  if (!train.is_image()) {
    if (!text_model)
      throw Error(fmt::format("model.name = \"{}\" reads images, but dataset '{}' is text; use model.name = "
                              "\"transformer\"",
                              spec.name, train.name));
    spec.vocab_size = config.get_int("data.vocab_size");
    spec.seq_len = train.inputs.size(1);
    spec.in_channels = spec.image_size = 0;
  } else {
    if (text_model)
      throw Error(fmt::format("model.name = \"{}\" reads token ids, but dataset '{}' holds images", spec.name,
                              train.name));
    spec.in_channels = train.inputs.size(1);
    spec.image_size = train.inputs.size(2);
    if (train.inputs.size(3) != spec.image_size)
      throw Error(fmt::format("dataset '{}' has {}x{} images; models need square images", train.name,
                              train.inputs.size(2), train.inputs.size(3)));
  }
  spec.num_classes = train.num_classes;
  return models::resolve(spec);
}

data::AugmentOptions augment_options(const config::Config& config, const data::Dataset& train) {
  const std::string mode = config.get_string("data.augment");
  if (mode == "auto") return data::default_augment(train);
  data::AugmentOptions o;
  if (mode == "on") o.crop = o.flip = true;
  return o;
}

std::string json_line(const EpochRecord& r, const StepStrategy* step) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json line = {{"epoch", r.epoch},
                         {"lr", r.lr},
                         {"train_loss", number(r.train_loss)},
                         {"train_acc", number(r.train_acc)},
                         {"test_loss", number(r.test_loss)},
                         {"test_acc", number(r.test_acc)},
                         {"seconds", r.seconds}};
  if (step != nullptr) {
    const nlohmann::json report = step->report();
    for (const auto& [key, value] : report.items()) line[key] = value;
  }
  return line.dump();
}

}  // namespace

void apply_thread_count(int64_t threads) {
  if (torch::get_num_threads() != threads) torch::set_num_threads(static_cast<int>(threads));
}

torch::Device resolve_device(const config::Config& config) {
  if (config.get_string("device") == "cuda") {
    if (!torch::cuda::is_available())
      throw Error("device = \"cuda\" was asked for, but this LibTorch build has no CUDA support or sees no GPU; "
                  "build cwrf against a CUDA LibTorch (cmake -DCMAKE_PREFIX_PATH=...) or use device = \"cpu\"");
    return torch::Device(torch::kCUDA);
  }
  return torch::Device(torch::kCPU);
}

JobData load_job_data(const config::Config& config) {
  JobData job;
  job.data = data::load_dataset(config::data_options(config));
  job.normalization = data::compute_normalization(job.data.train);
  Hasher h;
  h.update(job.data.train.inputs).update(job.data.train.labels).update(job.data.test.inputs).update(job.data.test.labels);
  job.fingerprint = h.digest();
  return job;
}

void resolve_config(config::Config& config, const JobData& job) {
  const auto& train = job.data.train;
  const std::string dataset = config.get_string("data.name");
  int64_t train_size = config.get_int("data.train_size");
  int64_t ref_size = config.get_int("data.ref_size");
  if (train_size < 0 || ref_size < 0) throw Error("config keys 'data.train_size' and 'data.ref_size' must be >= 0");
  if (train_size == 0 || ref_size == 0) {
    data::SplitSizes preset{0, 0};
    try {
      preset = data::table4_sizes(dataset);
    } catch (const Error&) {
      throw Error(fmt::format("dataset '{}' has no preset split sizes: set data.train_size and data.ref_size", dataset));
    }
    if (train_size == 0) train_size = preset.train;
    if (ref_size == 0) ref_size = preset.reference;
  }
  const int64_t models = config.get_int("split.models");
  if (models < 1) throw Error(fmt::format("config key 'split.models' must be >= 1, got {}", models));
  const int64_t model = config.get_int("split.model");
  if (model < 0 || model >= models)
    throw Error(fmt::format("config key 'split.model' must be in [0, {}), got {}", models, model));
  int64_t pool = config.get_int("data.pool_size");
  if (pool < 0) throw Error("config key 'data.pool_size' must be >= 0");
  if (pool == 0) pool = data::pool_size_for(train_size, models);
  const int64_t val_size = config.get_int("data.val_size");
  if (val_size < 0) throw Error("config key 'data.val_size' must be >= 0");
  if (pool + ref_size + val_size > train.size())
    throw Error(fmt::format("the split needs data.pool_size ({}) + data.ref_size ({}) + data.val_size ({}) = {} "
                            "training points, but {} has {}; lower data.train_size, data.ref_size or data.val_size",
                            pool, ref_size, val_size, pool + ref_size + val_size, train.name, train.size()));
  config.set("data.train_size", train_size);
  config.set("data.ref_size", ref_size);
  config.set("data.pool_size", pool);
  const int64_t test_size = config.get_int("data.test_size");
  if (test_size < 0 || test_size > job.data.test.size())
    throw Error(fmt::format("config key 'data.test_size' must be in [0, {}], got {}", job.data.test.size(), test_size));
  if (test_size == 0) config.set("data.test_size", job.data.test.size());

  const models::ModelSpec spec = full_spec(config, train);
  if (!train.is_image()) config.set("data.seq_len", spec.seq_len);
  config.set("model.width", spec.width);
  config.set("model.depth", spec.depth);
  config.set("model.heads", spec.heads);
  config.set("model.mlp_dim", spec.mlp_dim);
  config.set("model.patch", spec.patch);
  if (config.get_string("data.augment") == "auto") {
    const auto a = data::default_augment(train);
    config.set("data.augment", a.enabled() ? "on" : "off");
  }
  if (config.get_string("channels_last") == "auto") {
    const bool conv = spec.name == "cnn" || spec.name == "resnet18";
    config.set("channels_last", conv && config.get_string("device") == "cpu" ? "on" : "off");
  }
  if (config.get_int("threads") == 0) config.set("threads", config::thread_count(config));
}

data::Split make_job_split(const config::Config& config, const JobData& job) {
  data::SplitOptions o;
  o.num_available = job.data.train.size();
  o.pool_size = config.get_int("data.pool_size");
  o.num_models = config.get_int("split.models");
  o.ref_size = config.get_int("data.ref_size");
  o.val_size = config.get_int("data.val_size");
  o.seed = static_cast<uint64_t>(config.get_int("split.seed"));
  return data::make_split(o);
}

std::string model_hash(const config::Config& resolved, const JobData& job, const std::string& parent) {
  Hasher h;
  h.update(fmt::format("cwrf-model-v{}\n", kArtifactFormat));
  h.update(resolved.canonical_text()).update("\n").update(job.fingerprint).update("\n").update(parent);
  return h.digest();
}

std::string model_dir_name(const config::Config& resolved, const JobData& job, const std::string& parent) {
  return fmt::format("{}-{}-m{}-{}", resolved.get_string("model.name"), resolved.get_string("defense.name"),
                     resolved.get_int("split.model"), model_hash(resolved, job, parent).substr(0, 16));
}

models::ModelSpec model_spec_for(const config::Config& resolved, const JobData& job) {
  return full_spec(resolved, job.data.train);
}

ModelSets prepare_model_sets(const config::Config& config, const JobData& job, torch::Device device) {
  ModelSets sets;
  sets.split = make_job_split(config, job);
  sets.model_index = config.get_int("split.model");
  sets.train_rows = data::train_indices(sets.split, sets.model_index);
  sets.reference_rows = sets.split.reference.at(sets.model_index);
  const int64_t test_size = config.get_int("data.test_size");
  if (test_size < job.data.test.size()) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(
        derive_seed(static_cast<uint64_t>(config.get_int("split.seed")), SeedDomain::kTestSubset));
    sets.test_rows = std::get<0>(torch::randperm(job.data.test.size(), gen, torch::kLong).slice(0, 0, test_size).sort());
  }
  auto on_device = [&](data::Prepared p) {
    p.inputs = p.inputs.to(device);
    p.labels = p.labels.to(device);
    return p;
  };
  sets.members = on_device(data::prepare(job.data.train, sets.train_rows, job.normalization));
  sets.test = on_device(data::prepare(job.data.test, sets.test_rows, job.normalization));
  sets.reference = on_device(data::prepare(job.data.train, sets.reference_rows, job.normalization));
  if (sets.split.validation.size(0) > 0)
    sets.validation = on_device(data::prepare(job.data.train, sets.split.validation, job.normalization));
  return sets;
}

StepContext step_context_for(const config::Config& config, int64_t members, int64_t epochs) {
  StepContext context;
  context.dataset_size = members;
  context.batch_size = config.get_int("batch_size");
  context.epochs = epochs;
  context.steps_per_epoch = (members + context.batch_size - 1) / context.batch_size;
  return context;
}

TrainOptions job_train_options(const config::Config& config, const JobData& job) {
  TrainOptions options = config::train_options(config);
  options.data_seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kDataOrder);
  options.augment = augment_options(config, job.data.train);
  options.channels_last = config.get_string("channels_last") == "on";
  return options;
}

void write_vocabulary_file(const fs::path& dir, const JobData& job) {
  if (job.data.vocabulary) job.data.vocabulary->save(dir / "vocab.json");
}

void write_membership_files(const fs::path& dir, const config::Config& config, const ModelSets& sets) {
  save_npy(dir / "train_indices.npy", sets.train_rows);
  save_npy(dir / "reference_indices.npy", sets.reference_rows);
  save_npy(dir / "pool.npy", sets.split.pool);
  save_npy(dir / "keep.npy", sets.split.keep);
  nlohmann::json membership = {{"model", sets.model_index},
                               {"models", config.get_int("split.models")},
                               {"split_seed", config.get_int("split.seed")},
                               {"pool_size", sets.split.pool.size(0)},
                               {"train_size", sets.train_rows.size(0)},
                               {"reference_size", sets.reference_rows.size(0)},
                               {"validation_size", sets.split.validation.size(0)},
                               {"test_size", sets.test.size()},
                               {"pool_hash", content_hash(sets.split.pool)},
                               {"keep_hash", content_hash(sets.split.keep)}};
  write_file_atomic(dir / "membership.json", membership.dump(2) + "\n");
}

nlohmann::json make_manifest(const std::string& kind, const std::string& hash, const std::string& parent,
                             const config::Config& config, const JobData& job, const models::ModelSpec& spec) {
  return {{"format", kArtifactFormat},
          {"cwrf_version", CWRF_VERSION},
          {"kind", kind},
          {"hash", hash},
          {"parent", parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(parent)},
          {"data_fingerprint", job.fingerprint},
          {"model", spec_json(spec)},
          {"config", config.to_json()}};
}

nlohmann::json final_metrics(models::Classifier& model, const ModelSets& sets, const TrainOptions& options,
                             const TrainResult& trained, const StepStrategy& step) {
  const EvalResult on_train = evaluate(model, sets.members, options.eval_batch_size, options.channels_last);
  const EvalResult on_test = evaluate(model, sets.test, options.eval_batch_size, options.channels_last);
  const EvalResult on_ref = evaluate(model, sets.reference, options.eval_batch_size, options.channels_last);
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
      {"threads", torch::get_num_threads()}};
  // A named copy: items() of the temporary report() would dangle inside the range-for.
  const nlohmann::json report = step.report();
  for (const auto& [key, value] : report.items()) metrics[key] = value;
  if (sets.validation) {
    const EvalResult on_val = evaluate(model, *sets.validation, options.eval_batch_size, options.channels_last);
    metrics["val_acc"] = on_val.accuracy;
    metrics["val_loss"] = on_val.loss;
  }
  return metrics;
}

EpochLog::EpochLog(const fs::path& path, const StepStrategy* step)
    : path_(path), out_(std::make_shared<std::ofstream>(path)), step_(step) {
  if (!*out_) throw Error(fmt::format("cannot create {}", path.string()));
}

TrainCallbacks EpochLog::wrap(const TrainCallbacks& callbacks) {
  TrainCallbacks wrapped = callbacks;
  wrapped.on_epoch = [out = out_, path = path_, step = step_, inner = callbacks.on_epoch](const EpochRecord& r) {
    *out << json_line(r, step) << "\n" << std::flush;
    if (!*out) throw Error(fmt::format("cannot write {}", path.string()));
    if (inner) inner(r);
  };
  return wrapped;
}

TrainJobResult run_train_job(config::Config config, const fs::path& out_root, const JobCallbacks& callbacks,
                             const JobData* preloaded) {
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  const torch::Device device = resolve_device(config);
  JobData loaded;
  if (preloaded == nullptr) loaded = load_job_data(config);
  const JobData& job = preloaded != nullptr ? *preloaded : loaded;
  // A model trained from scratch does not depend on the CWRF keys: keep them out of its
  // config and hash (they belong to `cwrf rewind`).
  if (const auto changed = config.changed_keys("cwrf."); !changed.empty())
    throw Error(fmt::format("config key '{}' applies to `cwrf rewind`, not to training from scratch", changed.front()));
  config.clear_prefix("cwrf.");
  resolve_config(config, job);
  // The objective and the step strategy resolve their own defaults into the config, so they
  // are built before hashing. The split is cheap and fixes the member count the step needs.
  std::unique_ptr<Objective> objective = make_objective(config);
  const int64_t members_count =
      data::train_indices(make_job_split(config, job), config.get_int("split.model")).size(0);
  std::unique_ptr<StepStrategy> step =
      make_step_strategy(config, step_context_for(config, members_count, config.get_int("epochs")));

  const std::string hash = model_hash(config, job);
  const fs::path final_dir = out_root / model_dir_name(config, job);
  TrainJobResult result;
  result.dir = final_dir;
  if (is_complete_model_dir(final_dir)) {
    result.reused = true;
    result.metrics = nlohmann::json::parse(read_file(final_dir / "metrics.json"));
    log(fmt::format("found finished model {}", final_dir.string()));
    return result;
  }
  remove_stale_staging_dirs(out_root);
  apply_thread_count(config.get_int("threads"));
  const ModelSets sets = prepare_model_sets(config, job, device);

  // Model and θ_vn.
  const models::ModelSpec spec = full_spec(config, job.data.train);
  torch::manual_seed(derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kModelInit));
  models::ClassifierPtr model = models::make_model(spec);
  model->to(device);

  const fs::path staging = make_staging_dir(final_dir);
  try {
    write_file_atomic(staging / "manifest.json", make_manifest("trained", hash, "", config, job, spec).dump(2) + "\n");
    write_file_atomic(staging / "config.toml", config.to_toml());
    save_tensors(staging / "init.pt", model_state(*model));
    write_membership_files(staging, config, sets);
    write_vocabulary_file(staging, job);

    const TrainOptions options = job_train_options(config, job);
    EpochLog epoch_log(staging / "log.jsonl", step.get());
    log(fmt::format("training {} ({} parameters) with {} on {} {} examples, {} epochs, {} threads", spec.name,
                    models::count_parameters(*model), objective->name(), sets.members.size(), job.data.train.name,
                    options.epochs, torch::get_num_threads()));
    const TrainResult trained = train_model(*model, {&sets.members, &sets.test, &sets.reference}, *objective, *step,
                                            options, nullptr, epoch_log.wrap(callbacks.train));
    save_tensors(staging / "final.pt", model_state(*model));
    result.metrics = final_metrics(*model, sets, options, trained, *step);
    write_file_atomic(staging / "metrics.json", result.metrics.dump(2) + "\n");
    publish_dir(staging, final_dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  return result;
}

}  // namespace cwrf::train
