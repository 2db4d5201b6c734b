// Where a job's tensors live: the `device` key's values ("cpu", "cuda", "cuda:N"), the one
// check that CUDA is there (a clear error, never a silent CPU fallback), and host-to-device
// copies that do not make the CPU wait for the GPU's queue.
#pragma once

#include <c10/core/Device.h>
#include <torch/types.h>

#include <string>

namespace cwrf {

// The text form alone, without asking CUDA: "" when `text` is cpu, cuda or cuda:N, else what is
// wrong (the `device` key's check).
std::string device_syntax_error(const std::string& text);

// Why a CUDA device cannot be used by this process, as a clause ("" when one can): "this LibTorch
// has no CUDA (a CPU-only build ...)" or "this LibTorch (2.x, CUDA 13.0) sees no GPU (...)".
std::string cuda_unavailable_reason();

// Parses `text` and checks that the device exists here. `subject` is how the error names what the
// user wrote, e.g. `device = "cuda" (from exp.toml)` or `--device cuda`.
torch::Device parse_device(const std::string& text, const std::string& subject);

// `t` on `device`. A CPU tensor bound for a GPU goes through pinned memory as a non-blocking copy,
// so the CPU keeps queueing work instead of waiting for every kernel queued before the copy (a
// plain .to(cuda) of pageable memory synchronises the stream: once per batch, the GPU would idle).
torch::Tensor to_device(const torch::Tensor& t, const torch::Device& device);

}  // namespace cwrf
