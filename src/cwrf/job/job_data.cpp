#include "cwrf/job/job_data.h"

#include "cwrf/common/device.h"
#include "cwrf/common/error.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/seed.h"
#include "cwrf/common/threads.h"
#include "cwrf/data/augment.h"
#include "cwrf/data/batches.h"
#include "cwrf/data/data_keys.h"
#include "cwrf/data/loaders.h"
#include "cwrf/models/model_keys.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/train_keys.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace cwrf::job {

namespace {

models::ModelSpec full_spec(const config::Config& config, const data::Dataset& train) {
  models::ModelSpec spec = models::model_spec(config);
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

}  // namespace

torch::Device resolve_device(const config::Config& config) {
  const std::string device = config.get_string("device");
  const std::string origin = config.origin("device");
  // How the user wrote it: `--device cuda`, or `device = "cuda" (from exp.toml)`.
  const std::string subject = config::is_flag_origin(origin) ? fmt::format("{} {}", origin, device)
                              : origin.empty() ? fmt::format("device = \"{}\"", device)
                                               : fmt::format("device = \"{}\" (from {})", device, origin);
  return parse_device(device, subject);
}

JobData load_job_data(const config::Config& config) {
  JobData job;
  job.data = data::load_dataset(data::data_options(config));
  job.normalization = data::compute_normalization(job.data.train);
  Hasher h;
  h.update(job.data.train.inputs).update(job.data.train.labels).update(job.data.test.inputs).update(job.data.test.labels);
  job.fingerprint = h.digest();
  return job;
}

const JobData& JobDataCache::get(const config::Config& config) {
  nlohmann::json loading = nlohmann::json::object();
  for (const std::string& name : data::loading_key_names()) loading[name] = config.get(name);
  const std::string key = loading.dump();
  if (!data_ || key != key_) {
    data_.reset();  // one dataset at a time: free the old one before loading the new
    data_ = std::make_shared<JobData>(load_job_data(config));
    key_ = key;
  }
  return *data_;
}

void resolve_config(config::Config& config, const JobData& job) {
  const auto& train = job.data.train;
  const std::string dataset = config.get_string("data.name");
  int64_t train_size = config.get_int("data.train_size");
  int64_t ref_size = config.get_int("data.ref_size");
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
  const int64_t model = config.get_int("split.model");
  if (model >= models)
    throw Error(fmt::format("{} must be in [0, split.models = {}), got {}", config.label("split.model"), models, model));
  int64_t pool = config.get_int("data.pool_size");
  if (pool == 0) pool = data::pool_size_for(train_size, models);
  const int64_t val_size = config.get_int("data.val_size");
  if (pool + ref_size + val_size > train.size())
    throw Error(fmt::format("the split needs data.pool_size ({}) + data.ref_size ({}) + data.val_size ({}) = {} "
                            "training points, but {} has {}; lower data.train_size, data.ref_size or data.val_size",
                            pool, ref_size, val_size, pool + ref_size + val_size, train.name, train.size()));
  config.set("data.train_size", train_size);
  config.set("data.ref_size", ref_size);
  config.set("data.pool_size", pool);
  const int64_t test_size = config.get_int("data.test_size");
  if (test_size > job.data.test.size())
    throw Error(fmt::format("{} must be at most the test set's {} points, got {}", config.label("data.test_size"),
                            job.data.test.size(), test_size));
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
    // NHWC: oneDNN's faster convolutions on the CPU (docs/DESIGN.md), cuDNN's tensor-core ones
    // on a GPU (bf16 and TF32); scripts/device-check.sh measures NCHW against it there.
    const bool conv = spec.name == "cnn" || spec.name == "resnet18";
    config.set("channels_last", conv ? "on" : "off");
  }
  if (config.get_int("threads") == 0) config.set("threads", resolve_threads(0));
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

train::StepContext step_context_for(const config::Config& config, int64_t members, int64_t epochs) {
  train::StepContext context;
  context.dataset_size = members;
  context.batch_size = config.get_int("batch_size");
  context.epochs = epochs;
  context.steps_per_epoch = (members + context.batch_size - 1) / context.batch_size;
  return context;
}

train::TrainOptions job_train_options(const config::Config& config, const JobData& job) {
  train::TrainOptions options = train::train_options(config);
  options.data_seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kDataOrder);
  options.augment = augment_options(config, job.data.train);
  options.channels_last = config.get_string("channels_last") == "on";
  return options;
}

}  // namespace cwrf::job
