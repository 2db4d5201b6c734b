#include "cwrf/train/amp.h"

#include "cwrf/common/error.h"
#include "cwrf/common/torch_compat.h"

#include <fmt/format.h>

namespace cwrf::train {

Amp parse_amp(const std::string& name) {
  if (name == "off") return Amp::Off;
  if (name == "bf16") return Amp::Bf16;
  throw Error(fmt::format("amp must be off or bf16, got '{}'", name));
}

std::string to_string(Amp amp) { return amp == Amp::Bf16 ? "bf16" : "off"; }

at::Tensor full_precision(const at::Tensor& t) {
  const auto type = t.scalar_type();
  return type == c10::ScalarType::BFloat16 || type == c10::ScalarType::Half ? t.to(c10::ScalarType::Float) : t;
}

struct AutocastScope::State {
  compat::AutocastGuard guard;
  State(c10::DeviceType type, c10::ScalarType dtype) : guard(type, dtype) {}
};

AutocastScope::AutocastScope(Amp amp, const c10::Device& device) {
  if (amp == Amp::Off) return;
  if (!device.is_cpu() && !device.is_cuda())
    throw Error(fmt::format("amp = \"{}\" runs on the CPU or a CUDA GPU, not on {}", to_string(amp), device.str()));
  state_ = std::make_unique<State>(device.type(), c10::ScalarType::BFloat16);
}

AutocastScope::~AutocastScope() = default;

}  // namespace cwrf::train
