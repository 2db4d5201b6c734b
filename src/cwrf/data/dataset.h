// A dataset is tensors plus metadata; loaders never touch models (docs/DESIGN.md).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cwrf::data {

class Vocabulary;  // data/tokenizer.h

struct Dataset {
  torch::Tensor inputs;  // images: uint8 [N, C, H, W] (raw 0..255); text: int64 [N, L] token ids
  torch::Tensor labels;  // int64 [N], values in [0, num_classes)
  int64_t num_classes = 0;
  std::string name;      // human-readable origin, e.g. "fashion-mnist/train"

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  bool is_image() const { return inputs.defined() && inputs.dim() == 4; }
};

// The official train and test parts of one dataset.
struct TrainTest {
  Dataset train;
  Dataset test;
  // Text only: the vocabulary the token ids come from (built from the training part).
  std::shared_ptr<const Vocabulary> vocabulary;
};

// Per-channel normalisation x' = (x/255 - mean[c]) / std[c].
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
};

}  // namespace cwrf::data
