// Mixed precision, the `amp` key: forward passes of training under autocast in bfloat16, on
// the CPU or a GPU alike, with the weights, gradients and Adam moments kept in float32 (the
// "master weights"), and the loss computed in float32 from float32 logits. Everything else
// stays in full precision: evaluation, PVE/TFO scores, masks, attack signals and statistics.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace cwrf::train {

enum class Amp { Off, Bf16 };

Amp parse_amp(const std::string& name);  // "off" | "bf16"; throws Error otherwise
std::string to_string(Amp amp);

// A bfloat16 / float16 tensor (what autocast gives) as float32; any other tensor unchanged.
at::Tensor full_precision(const at::Tensor& t);

// Autocast for `device`'s type while alive; nothing for Amp::Off. Backward passes run outside
// (as torch.autocast recommends): their ops then take the dtypes the forward chose.
class AutocastScope {
 public:
  AutocastScope(Amp amp, const c10::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cwrf::train
