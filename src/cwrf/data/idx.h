// IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed, of any shape.
#pragma once

#include "cwrf/data/dataset.h"

#include <torch/types.h>

#include <filesystem>
#include <string>

namespace cwrf::data {

// Reads any IDX file: magic = two zero bytes, a type code, the number of dims; then the
// dims as big-endian uint32; then the values, big-endian. Type codes: 0x08 uint8, 0x09 int8,
// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. gzip is detected by content.
// Throws Error naming the file for a missing, malformed or truncated file.
torch::Tensor read_idx(const std::filesystem::path& path);

// The same, from bytes already in memory (decompressed); `origin` names them in errors.
torch::Tensor decode_idx(const std::string& bytes, const std::string& origin);

// An image dataset from an images file (uint8, [N, H, W] or [N, C, H, W]) and a labels
// file ([N], integers >= 0). Images come back as uint8 [N, C, H, W], labels as int64,
// num_classes = max label + 1.
Dataset read_idx_dataset(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                         const std::string& name);

// Checks that every label of `dataset` lies in [0, classes) and sets num_classes = classes.
// Error naming `labels_path`, the first bad item and its value, and `why` the range is what it
// is ("Fashion-MNIST has 10 classes", "the training labels span 0..9").
void require_labels_in_range(Dataset& dataset, int64_t classes, const std::filesystem::path& labels_path,
                             const std::string& why);

}  // namespace cwrf::data
