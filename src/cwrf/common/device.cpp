#include "cwrf/common/device.h"

#include "cwrf/common/error.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdlib>

namespace cwrf {

namespace {

// "cuda:12" -> 12; "cuda" -> -1 (the current device); anything else -> -2.
int64_t cuda_index(const std::string& text) {
  if (text == "cuda") return -1;
  if (text.rfind("cuda:", 0) != 0 || text.size() == 5 || text.size() > 8) return -2;
  int64_t index = 0;
  for (size_t i = 5; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return -2;
    index = index * 10 + (text[i] - '0');
  }
  return index;
}

}  // namespace

std::string device_syntax_error(const std::string& text) {
  if (text == "cpu" || cuda_index(text) >= -1) return "";
  return fmt::format("'{}' is not a device: expected cpu, cuda or cuda:N (N = a GPU's index)", text);
}

std::string cuda_unavailable_reason() {
  if (torch::cuda::is_available()) return "";
  // A CPU-only LibTorch has only the stub CUDA hooks, which cannot even say which CUDA runtime
  // they would use; a CUDA build knows its runtime's version and sees no device.
  long runtime = -1;
  try {
    runtime = at::detail::getCUDAHooks().versionCUDART();
  } catch (const std::exception&) {
    runtime = -1;
  }
  if (runtime < 0)
    return fmt::format("this LibTorch has no CUDA (a CPU-only build of LibTorch {}: build cwrf against a CUDA "
                       "LibTorch, README \"Building against another LibTorch\")",
                       TORCH_VERSION);
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return fmt::format("this LibTorch ({}, CUDA {}.{}) sees no GPU (check nvidia-smi and the driver{})", TORCH_VERSION,
                     runtime / 1000, runtime % 1000 / 10,
                     visible != nullptr ? fmt::format("; CUDA_VISIBLE_DEVICES={}", visible) : "");
}

torch::Device parse_device(const std::string& text, const std::string& subject) {
  if (const std::string bad = device_syntax_error(text); !bad.empty()) throw Error(fmt::format("{}: {}", subject, bad));
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (const std::string why = cuda_unavailable_reason(); !why.empty())
    throw Error(fmt::format("{} but {}; or use device = \"cpu\"", subject, why));
  const int64_t index = cuda_index(text);
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (index >= count)
    throw Error(fmt::format("{} but this machine has {} GPU{} (cuda:0{})", subject, count, count == 1 ? "" : "s",
                            count > 1 ? fmt::format(" ... cuda:{}", count - 1) : ""));
  return index < 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

torch::Tensor to_device(const torch::Tensor& t, const torch::Device& device) {
  if (t.device() == device) return t;
  if (device.is_cuda() && t.is_cpu()) return t.pin_memory().to(device, /*non_blocking=*/true);
  return t.to(device);
}

}  // namespace cwrf
