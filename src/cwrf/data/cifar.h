// CIFAR-10 and CIFAR-100 in their official binary formats ("binary version" tarballs).
#pragma once

#include "cwrf/data/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::data {

// CIFAR-100 carries two labels per image: 100 fine classes and 20 coarse superclasses.
enum class CifarLabels { kFine, kCoarse };

// Parses the data.cifar100_labels option ("fine" | "coarse"); Error names the option otherwise.
CifarLabels parse_cifar100_labels(const std::string& value);

// CIFAR-10 files: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, each
// 32x32 row-major, i.e. CHW). The files are concatenated in the order given.
Dataset read_cifar10(const std::vector<std::filesystem::path>& files, const std::string& name);

// A CIFAR-100 file: records of 1 coarse byte, 1 fine byte, 3072 pixel bytes (CHW).
Dataset read_cifar100(const std::filesystem::path& file, CifarLabels labels, const std::string& name);

// The official parts from `dir` (data_batch_1..5.bin + test_batch.bin for CIFAR-10;
// train.bin + test.bin for CIFAR-100). `dir` may also be the directory above the tarball's
// folder (cifar-10-batches-bin, cifar-100-binary).
TrainTest load_cifar10(const std::filesystem::path& dir);
TrainTest load_cifar100(const std::filesystem::path& dir, CifarLabels labels);

}  // namespace cwrf::data
