// A roofline view of a training step: the FLOPs a step does per image (models/flops.h), the rate
// the step achieves, and the rates the machine's kernels reach on this model's own layer shapes
// (each conv / linear layer's forward alone, at the step's batch size) and on large shapes (a
// 1024³ GEMM, a 64-channel 3x3 convolution): how far the step is from what its kernels allow.
#pragma once

#include "cwrf/models/flops.h"
#include "cwrf/train/throughput.h"

#include <string>
#include <vector>

namespace cwrf::train {

struct LayerRate {
  std::string name, kind;
  double flops = 0.0;    // forward, per image
  double gflops = 0.0;   // its forward alone at the batch size, measured
};

struct Roofline {
  models::FlopCount flops;
  ThroughputResult step;          // images/s of the whole training step
  double achieved_gflops = 0.0;   // images/s × 3 × forward FLOPs
  std::vector<LayerRate> layers;
  // Forward FLOPs over the summed forward time of the layers at their measured rates: the rate
  // of the step's compute if nothing else took time.
  double layer_bound_gflops = 0.0;
  double gemm_peak_gflops = 0.0;  // sgemm 1024 x 1024 x 1024
  double conv_peak_gflops = 0.0;  // 3x3 conv, 64 -> 64 channels, 32x32, the batch size, channels-last
};

Roofline measure_roofline(const ThroughputOptions& options);

}  // namespace cwrf::train
