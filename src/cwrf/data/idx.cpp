#include "cwrf/data/idx.h"

#include "cwrf/common/error.h"
#include "cwrf/data/gzip.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <cstring>
#include <limits>
#include <vector>

namespace cwrf::data {

namespace {

struct IdxType {
  torch::ScalarType dtype;
  size_t element_size;
};

IdxType idx_type(unsigned code, const std::string& origin) {
  switch (code) {
    case 0x08: return {torch::kUInt8, 1};
    case 0x09: return {torch::kInt8, 1};
    case 0x0B: return {torch::kInt16, 2};
    case 0x0C: return {torch::kInt32, 4};
    case 0x0D: return {torch::kFloat32, 4};
    case 0x0E: return {torch::kFloat64, 8};
    default:
      throw Error(fmt::format("{}: unknown IDX type code 0x{:02x} (expected 0x08 ubyte, 0x09 byte, 0x0B short, "
                              "0x0C int, 0x0D float or 0x0E double)",
                              origin, code));
  }
}

uint32_t big_endian_u32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
         static_cast<uint32_t>(p[3]);
}

}  // namespace

torch::Tensor decode_idx(const std::string& bytes, const std::string& origin) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4)
    throw Error(fmt::format("{}: truncated IDX file ({} bytes; the header alone needs 4)", origin, bytes.size()));
  if (data[0] != 0 || data[1] != 0)
    throw Error(fmt::format("{}: bad IDX magic number 0x{:02x}{:02x}{:02x}{:02x} (an IDX file starts with two zero "
                            "bytes, a type code and the number of dims, e.g. 0x00000803)",
                            origin, data[0], data[1], data[2], data[3]));
  const IdxType type = idx_type(data[2], origin);
  const size_t ndims = data[3];
  if (ndims == 0) throw Error(fmt::format("{}: bad IDX magic number: zero dimensions", origin));
  const size_t header = 4 + 4 * ndims;
  if (bytes.size() < header)
    throw Error(fmt::format("{}: truncated IDX file ({} bytes; the header of {} dims needs {})", origin, bytes.size(),
                            ndims, header));

  std::vector<int64_t> shape(ndims);
  uint64_t count = 1;
  for (size_t d = 0; d < ndims; ++d) {
    shape[d] = big_endian_u32(data + 4 + 4 * d);
    // 2^48 elements is far beyond any real file; the bound keeps the product from overflowing.
    if (shape[d] != 0 && count > (uint64_t{1} << 48) / static_cast<uint64_t>(shape[d]))
      throw Error(fmt::format("{}: IDX dims [{}] are implausibly large", origin, fmt::join(shape, ", ")));
    count *= static_cast<uint64_t>(shape[d]);
  }
  const uint64_t needed = header + count * type.element_size;
  if (bytes.size() < needed)
    throw Error(fmt::format("{}: truncated IDX file: {} bytes, but the header's dims [{}] need {}", origin,
                            bytes.size(), fmt::join(shape, ", "), needed));
  if (bytes.size() > needed)
    throw Error(fmt::format("{}: {} unexpected bytes after the IDX data (dims [{}] need {} bytes, the file has {})",
                            origin, bytes.size() - needed, fmt::join(shape, ", "), needed, bytes.size()));

  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(type.dtype));
  if (count == 0) return out;
  if (type.element_size == 1) {
    std::memcpy(out.data_ptr(), data + header, count);
    return out;
  }
  // Multi-byte values are big-endian; reverse each value's bytes (the host is little-endian,
  // as every platform LibTorch supports) with one tensor op instead of a per-value loop.
  torch::Tensor raw = torch::from_blob(const_cast<unsigned char*>(data + header),
                                       {static_cast<int64_t>(count), static_cast<int64_t>(type.element_size)},
                                       torch::kUInt8);
  torch::Tensor swapped = raw.flip({1}).contiguous();
  std::memcpy(out.data_ptr(), swapped.data_ptr(), count * type.element_size);
  return out;
}

torch::Tensor read_idx(const std::filesystem::path& path) { return decode_idx(read_maybe_gzip(path), path.string()); }

Dataset read_idx_dataset(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                         const std::string& name) {
  torch::Tensor images = read_idx(images_path);
  torch::Tensor labels = read_idx(labels_path);
  if (images.scalar_type() != torch::kUInt8)
    throw Error(fmt::format("{}: images must be unsigned bytes (IDX type 0x08), found {}", images_path.string(),
                            c10::toString(images.scalar_type())));
  if (images.dim() != 3 && images.dim() != 4)
    throw Error(fmt::format("{}: images must have 3 dims [N, H, W] or 4 dims [N, C, H, W], found {}",
                            images_path.string(), images.dim()));
  if (labels.dim() != 1)
    throw Error(fmt::format("{}: labels must have 1 dim [N], found {}", labels_path.string(), labels.dim()));
  if (!c10::isIntegralType(labels.scalar_type(), /*includeBool=*/false))
    throw Error(fmt::format("{}: labels must be integers, found {}", labels_path.string(),
                            c10::toString(labels.scalar_type())));
  if (images.size(0) != labels.size(0))
    throw Error(fmt::format("image/label count mismatch: {} has {} images but {} has {} labels", images_path.string(),
                            images.size(0), labels_path.string(), labels.size(0)));
  if (images.size(0) == 0) throw Error(fmt::format("{}: the file holds no images", images_path.string()));

  Dataset dataset;
  dataset.inputs = images.dim() == 3 ? images.unsqueeze(1) : images;
  dataset.labels = labels.to(torch::kInt64);
  const int64_t min_label = dataset.labels.min().item<int64_t>();
  if (min_label < 0) throw Error(fmt::format("{}: negative label {}", labels_path.string(), min_label));
  dataset.num_classes = dataset.labels.max().item<int64_t>() + 1;
  dataset.name = name;
  return dataset;
}

void require_labels_in_range(Dataset& dataset, int64_t classes, const std::filesystem::path& labels_path,
                             const std::string& why) {
  const torch::Tensor bad = ((dataset.labels < 0) | (dataset.labels >= classes)).nonzero();
  if (bad.size(0) > 0) {
    const int64_t item = bad[0][0].item<int64_t>();
    throw Error(fmt::format("{}: label {} of item {} is outside 0..{} ({}); is it the right labels file?",
                            labels_path.string(), dataset.labels[item].item<int64_t>(), item, classes - 1, why));
  }
  dataset.num_classes = classes;
}

}  // namespace cwrf::data
