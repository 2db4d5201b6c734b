// Images per second of one training step, as `cwrf train` runs it per batch (for `cwrf bench
// train`): zero_grad, forward, cross-entropy, backward, MaskedAdam step, model in train mode.
#pragma once

#include "cwrf/models/classifier.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/step.h"

#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::train {

struct ThroughputOptions {
  models::ModelSpec spec;      // zero knobs take the architecture's defaults (models::resolve)
  int64_t batch_size = 256;
  int64_t warmup = 3;          // untimed steps first: allocator, oneDNN primitive caches
  int64_t steps = 20;          // timed steps per repetition
  int64_t repeats = 3;         // repetitions; the result is their mean and sample sd
  bool channels_last = false;  // NHWC inputs and conv weights, as `cwrf train` does for conv models on CPU
  int64_t threads = 0;         // intra-op threads while measuring (0: keep the current setting)
  uint64_t seed = 0;           // initialisation and the random batch
  StepStrategy* step = nullptr;  // how gradients are formed; null: the standard step (`cwrf bench dp` passes DP-SGD's)
  c10::Device device = c10::kCPU;  // where the model, the batch and the step run
  Amp amp = Amp::Off;              // mixed precision of the forward pass (amp.h)
};

struct ThroughputResult {
  models::ModelSpec spec;                 // resolved
  int64_t parameters = 0;
  std::vector<int64_t> input_shape;       // [batch, channels, height, width]
  int64_t threads = 0;                    // intra-op threads used
  bool channels_last = false;
  std::string device;                     // "cpu", "cuda:0"
  std::string amp;                        // "off", "bf16"
  std::vector<double> images_per_second;  // one figure per repetition
  double mean = 0.0;                      // images/s over the repetitions
  double sd = 0.0;                        // sample standard deviation (0 for one repetition)
};

// Throws Error naming the field at fault (batch_size, warmup, steps, repeats, threads) or the
// spec's knob (models::resolve).
void check_throughput_options(const ThroughputOptions& options);

// Builds the model from options.spec (seeded with options.seed) and measures it.
ThroughputResult measure_train_throughput(const ThroughputOptions& options);

// Measures `model`, which must have been built from options.spec; moves it to options.device,
// trains it in place (its weights change) and leaves it in train mode, channels-last if asked.
ThroughputResult measure_train_throughput(models::Classifier& model, const ThroughputOptions& options);

}  // namespace cwrf::train
