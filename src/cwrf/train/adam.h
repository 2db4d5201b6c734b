// Adam with an optional per-entry update mask, numerically identical to torch.optim.Adam
// (amsgrad off, L2 weight decay added to the gradient, as the paper's setup uses).
//
// Why not torch::optim::Adam: CWRF freezes individual weights (Alg. 1 line 20, Eq. 7) and
// they must stay bit-identical to θ_vn. Masking the gradient is not enough with weight
// decay (it adds wd·θ to the gradient); here the decayed gradient itself is masked, so
// a frozen entry's moments stay zero and its update is exactly zero.
#pragma once

#include "cwrf/models/weight_mask.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace cwrf::train {

struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 5e-4;
};

struct NamedParameter {
  std::string name;
  torch::Tensor tensor;
};

class MaskedAdam {
 public:
  MaskedAdam(std::vector<NamedParameter> parameters, AdamOptions options);

  // Entries where mask is false never move. A parameter absent from the mask is fully
  // trainable; an all-false mask freezes the whole tensor. Throws Error on a shape mismatch
  // or a name that is not a parameter.
  void set_trainable(const models::WeightMask& mask);

  void zero_grad();
  // One update with learning rate `lr` from the parameters' .grad() (a parameter without a
  // gradient is skipped, as in PyTorch).
  void step(double lr);
  int64_t steps() const { return step_; }

 private:
  struct Slot {
    NamedParameter param;
    torch::Tensor exp_avg, exp_avg_sq;
    torch::Tensor trainable;  // undefined = all trainable; float 0/1 otherwise
    bool frozen = false;      // every entry frozen: skip entirely
  };
  std::vector<Slot> slots_;
  AdamOptions options_;
  int64_t step_ = 0;
};

}  // namespace cwrf::train
