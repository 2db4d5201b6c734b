// The LibTorch APIs that differ between Debian's 1.13 (the CPU build here) and the 2.x inside a
// PyTorch install (the CUDA build of a GPU machine), in one place: the rest of cwrf calls these
// and never tests TORCH_VERSION itself. scripts/check-libtorch2.sh compiles every file against
// 2.x headers to find the next difference.
#pragma once

#include <torch/version.h>  // TORCH_VERSION_MAJOR / _MINOR: 1.13 and 2.x both have it

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#if TORCH_VERSION_MAJOR >= 2
#include <variant>
#else
#include <c10/util/variant.h>
#endif

// The device-generic autocast functions (at::autocast::set_autocast_enabled(device_type, ...))
// arrived in 2.4 (pytorch/pytorch#124359) and the per-device ones (set_cpu_enabled,
// set_autocast_cpu_dtype, set_enabled for CUDA) were deprecated there, with a warning per call.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define CWRF_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define CWRF_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace cwrf::compat {

// torch::nn option variants (Conv padding, padding_mode, ...): c10::variant up to 1.13,
// std::variant from 2.0 on (c10/util/variant.h is gone).
#if TORCH_VERSION_MAJOR >= 2
using std::get_if;
using std::holds_alternative;
using std::visit;
#else
using c10::get_if;
using c10::holds_alternative;
using c10::visit;
#endif

// TF32 tensor-core math for float32 convolutions (cuDNN, on by default) and matmuls (cuBLAS, off
// by default): the CPU-vs-CUDA agreement tests turn both off to compare float32 with float32.
// (2.9 adds a per-backend fp32_precision setting; these two remain.)
inline void set_allow_tf32(bool allow) {
  at::globalContext().setAllowTF32CuDNN(allow);
  at::globalContext().setAllowTF32CuBLAS(allow);
}

// Autocast state of one device type (kCPU or kCUDA) on the calling thread.
inline bool autocast_enabled(c10::DeviceType device_type) {
#if CWRF_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device_type);
#else
  return device_type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void set_autocast_enabled(c10::DeviceType device_type, bool enabled) {
#if CWRF_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(device_type, enabled);
#else
  if (device_type == c10::DeviceType::CUDA)
    at::autocast::set_enabled(enabled);
  else
    at::autocast::set_cpu_enabled(enabled);
#endif
}

inline c10::ScalarType autocast_dtype(c10::DeviceType device_type) {
#if CWRF_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(device_type);
#else
  return device_type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                              : at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void set_autocast_dtype(c10::DeviceType device_type, c10::ScalarType dtype) {
#if CWRF_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(device_type, dtype);
#else
  if (device_type == c10::DeviceType::CUDA)
    at::autocast::set_autocast_gpu_dtype(dtype);
  else
    at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

// Autocast to `dtype` for `device_type` while alive, as Python's `with torch.autocast(...)`:
// the previous state comes back on exit, and the cache of casted weights is freed when the
// outermost region ends (it holds bf16 copies of the fp32 master weights for one forward).
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device_type, c10::ScalarType dtype)
      : device_type_(device_type),
        was_enabled_(autocast_enabled(device_type)),
        previous_dtype_(autocast_dtype(device_type)) {
    set_autocast_dtype(device_type_, dtype);
    set_autocast_enabled(device_type_, true);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_enabled(device_type_, was_enabled_);
    set_autocast_dtype(device_type_, previous_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_type_;
  bool was_enabled_;
  c10::ScalarType previous_dtype_;
};

}  // namespace cwrf::compat
