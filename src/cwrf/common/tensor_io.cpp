#include "cwrf/common/tensor_io.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>
#include <torch/serialize.h>

namespace cwrf {

void save_tensors(const std::filesystem::path& path, const TensorMap& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  // Contiguous CPU copies: channels-last or CUDA tensors would otherwise leak their layout
  // or device into the file.
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(dict);
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

TensorMap load_tensors(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: not a readable tensor file (truncated or corrupt)", path.string()));
  }
  if (!value.isGenericDict()) throw Error(fmt::format("{}: expected a dict of tensors", path.string()));
  TensorMap out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw Error(fmt::format("{}: expected a dict of tensors", path.string()));
    out.emplace(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

}  // namespace cwrf
