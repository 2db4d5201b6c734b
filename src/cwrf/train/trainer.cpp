#include "cwrf/train/trainer.h"

#include "cwrf/common/error.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/op_profile.h"
#include "cwrf/train/schedule.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include <chrono>
#include <optional>

namespace cwrf::train {

void to_channels_last(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  // A copy with channels-last strides, as PyTorch's Module.to(memory_format=...) makes:
  // contiguous(ChannelsLast) would leave a [C_out, 1, k, k] weight untouched (its NCHW
  // strides already pass as channels-last), and the first conv block would then run in NCHW.
  for (auto& p : model.parameters())
    if (p.dim() == 4)
      p.set_data(p.data().to(p.options(), /*non_blocking=*/false, /*copy=*/true, at::MemoryFormat::ChannelsLast));
}

std::vector<NamedParameter> named_trainable_parameters(torch::nn::Module& model) {
  std::vector<NamedParameter> out;
  for (const auto& item : model.named_parameters())
    if (item.value().requires_grad()) out.push_back({item.key(), item.value()});
  return out;
}

TrainResult train_model(models::Classifier& model, const TrainSets& sets, Objective& objective, StepStrategy& step,
                        const TrainOptions& options, const models::WeightMask* trainable,
                        const TrainCallbacks& callbacks) {
  using Clock = std::chrono::steady_clock;
  if (sets.members == nullptr || sets.members->size() == 0) throw Error("train_model: the training set is empty");
  const data::Prepared& train_set = *sets.members;
  const data::Prepared* test_set = sets.test;
  const auto started = Clock::now();
  if (options.channels_last) to_channels_last(model);

  MaskedAdam optimizer(named_trainable_parameters(model), options.adam);
  step.set_amp(options.amp);
  if (trainable != nullptr && !trainable->empty()) optimizer.set_trainable(*trainable);

  data::LoaderOptions loader_options;
  loader_options.batch_size = options.batch_size;
  loader_options.shuffle = true;
  loader_options.augment = options.augment;
  loader_options.seed = options.data_seed;
  std::unique_ptr<data::BatchSource> source;
  if (step.poisson_sampling())
    source = std::make_unique<data::PoissonBatchLoader>(train_set, loader_options);
  else
    source = std::make_unique<data::BatchLoader>(train_set, loader_options);
  data::BatchSource& loader = *source;

  const int64_t steps_per_epoch = loader.num_batches();
  const int64_t total_steps = steps_per_epoch * options.epochs;
  ObjectiveContext context;
  context.model = &model;
  context.members = &train_set;
  context.non_members = sets.reference;
  context.num_classes = train_set.num_classes;
  context.epochs = options.epochs;
  context.steps_per_epoch = steps_per_epoch;
  context.device = train_set.inputs.device();
  objective.prepare(context);

  TrainResult result;
  std::optional<OpProfile> profile;
  if (options.profile) profile.emplace();
  int64_t global_step = 0;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const auto epoch_started = Clock::now();
    model.train();
    objective.begin_epoch(epoch);
    loader.start_epoch(epoch);
    EpochRecord record;
    record.epoch = epoch + 1;
    record.lr = scheduled_lr(options.schedule, options.lr, global_step, total_steps);
    double loss_sum = 0.0;
    int64_t correct = 0, count = 0, batch_index = 0;
    while (true) {
      std::optional<data::Batch> batch;
      {
        RECORD_USER_SCOPE(kScopeBatch);
        batch = loader.next();
        if (batch && options.channels_last && batch->inputs.dim() == 4)
          batch->inputs = batch->inputs.contiguous(at::MemoryFormat::ChannelsLast);
      }
      if (!batch) break;
      {
        RECORD_USER_SCOPE(kScopeOptimizer);
        optimizer.zero_grad();
      }
      StepStats stats = step.compute_gradients(model, *batch, objective, epoch, global_step);
      {
        RECORD_USER_SCOPE(kScopeOptimizer);
        optimizer.step(scheduled_lr(options.schedule, options.lr, global_step, total_steps));
      }
      ++global_step;
      loss_sum += stats.loss_sum;
      correct += stats.correct;
      count += stats.count;
      if (callbacks.on_batch) callbacks.on_batch(epoch, batch_index, steps_per_epoch, loss_sum / std::max<int64_t>(count, 1));
      ++batch_index;
    }
    record.train_loss = count > 0 ? loss_sum / count : 0.0;
    record.train_acc = count > 0 ? static_cast<double>(correct) / count : 0.0;
    const bool last = epoch + 1 == options.epochs;
    // eval_every = 0: no evaluation during training; the job's final metrics evaluate once.
    if (test_set != nullptr && options.eval_every > 0 && (last || (epoch + 1) % options.eval_every == 0)) {
      RECORD_USER_SCOPE(kScopeEvaluate);
      EvalResult test = evaluate(model, *test_set, options.eval_batch_size, options.channels_last);
      record.test_loss = test.loss;
      record.test_acc = test.accuracy;
    }
    record.seconds = std::chrono::duration<double>(Clock::now() - epoch_started).count();
    result.history.push_back(record);
    if (callbacks.on_epoch) callbacks.on_epoch(record);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (profile) result.profile = profile->report();
  return result;
}

}  // namespace cwrf::train
