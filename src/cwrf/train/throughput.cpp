#include "cwrf/train/throughput.h"

#include "cwrf/common/error.h"
#include "cwrf/config/config.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/common/threads.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/adam.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/train/step.h"
#include "cwrf/train/train_keys.h"
#include "cwrf/train/trainer.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace cwrf::train {

namespace {

// The paper's initial learning rate. `cwrf train` follows a cosine schedule; evaluating it is
// a few flops per step, so a constant rate measures the same work.
constexpr double kLearningRate = 1e-3;

// Sets the intra-op thread count for the measurement and restores the caller's afterwards, so
// measuring does not change the process's settings behind its back.
class ThreadCount {
 public:
  explicit ThreadCount(int64_t threads) : previous_(torch::get_num_threads()) {
    if (threads > 0) apply_thread_count(threads);
  }
  ~ThreadCount() { apply_thread_count(previous_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int previous_;
};

}  // namespace

void check_throughput_options(const ThroughputOptions& o) {
  require(o.batch_size > 0, fmt::format("batch_size = {} must be positive", o.batch_size));
  require(o.warmup >= 0, fmt::format("warmup = {} must be >= 0", o.warmup));
  require(o.steps > 0, fmt::format("steps = {} must be positive", o.steps));
  require(o.repeats > 0, fmt::format("repeats = {} must be positive", o.repeats));
  require(o.threads >= 0, fmt::format("threads = {} must be >= 0 (0: keep the current setting)", o.threads));
  models::resolve(o.spec);
}

ThroughputResult measure_train_throughput(const ThroughputOptions& options) {
  check_throughput_options(options);
  torch::manual_seed(options.seed);
  models::ClassifierPtr model = models::make_model(options.spec);
  return measure_train_throughput(*model, options);
}

ThroughputResult measure_train_throughput(models::Classifier& model, const ThroughputOptions& options) {
  using Clock = std::chrono::steady_clock;
  check_throughput_options(options);
  const models::ModelSpec spec = models::resolve(options.spec);
  ThreadCount thread_count(options.threads);

  ThroughputResult result;
  result.spec = spec;
  result.parameters = models::count_parameters(model);
  result.input_shape = {options.batch_size, spec.in_channels, spec.image_size, spec.image_size};
  result.threads = torch::get_num_threads();
  result.channels_last = options.channels_last;
  result.device = options.device.str();
  result.amp = to_string(options.amp);
  const bool cuda = options.device.is_cuda();
  auto synchronize = [&] {
    if (cuda) torch::cuda::synchronize(options.device.index());
  };

  // The same pieces, in the same order, as train_model: channels-last before the optimiser
  // allocates its moments, the default objective ("ce"), the standard step strategy.
  model.train();
  model.to(options.device);
  if (options.channels_last) to_channels_last(model);
  MaskedAdam optimizer(named_trainable_parameters(model), AdamOptions{});  // β (0.9, 0.999), weight decay 5e-4
  static const config::Schema training_schema = [] {
    config::Schema schema;
    schema.add(train_keys());
    return schema;
  }();
  config::Config defaults(training_schema);
  std::unique_ptr<Objective> objective = make_objective(defaults);
  std::unique_ptr<StepStrategy> standard_step;
  StepStrategy* step = options.step;
  if (step == nullptr) {
    standard_step = make_standard_step();
    step = standard_step.get();
  }
  step->set_amp(options.amp);

  // One fixed random batch: the figure is the step's, not the data pipeline's.
  torch::manual_seed(options.seed + 1);
  data::Batch batch{torch::randn(result.input_shape), torch::randint(spec.num_classes, {options.batch_size}, torch::kLong),
                    torch::arange(options.batch_size, torch::kLong)};
  batch.inputs = batch.inputs.to(options.device);
  batch.labels = batch.labels.to(options.device);
  if (options.channels_last) batch.inputs = batch.inputs.contiguous(at::MemoryFormat::ChannelsLast);

  int64_t global_step = 0;
  auto train_step = [&] {
    optimizer.zero_grad();
    step->compute_gradients(model, batch, *objective, 0, global_step);
    optimizer.step(kLearningRate);
    ++global_step;
  };
  for (int64_t i = 0; i < options.warmup; ++i) train_step();
  for (int64_t r = 0; r < options.repeats; ++r) {
    synchronize();
    const auto started = Clock::now();
    for (int64_t i = 0; i < options.steps; ++i) train_step();  // CPU work is synchronous (loss.item() too)
    synchronize();  // the optimiser's last kernels
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    result.images_per_second.push_back(static_cast<double>(options.batch_size * options.steps) / seconds);
  }

  const MeanSd summary = mean_sd(result.images_per_second);
  result.mean = summary.mean;
  result.sd = summary.sd;
  return result;
}

}  // namespace cwrf::train
