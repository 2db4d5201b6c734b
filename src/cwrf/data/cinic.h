// CINIC-10 (Darlow et al. 2018) from its official folder layout:
//   CINIC-10/{train,valid,test}/{airplane,automobile,...,truck}/*.png   (90,000 32x32 PNGs per part)
#pragma once

#include "cwrf/data/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::data {

// The ten class folders in the official (CIFAR-10) order; label = index.
std::vector<std::string> cinic10_classes();

// One part folder (train, valid or test): one folder per class, all ten required (a missing,
// empty or unknown folder is an Error naming it; hidden folders such as .ipynb_checkpoints and
// plain files are skipped). Every *.png (case-insensitive) in a class folder is read, sorted by
// file name; other files are ignored. Each image must be 32x32 (decoded as read_png_rgb does).
// Returns uint8 [N, 3, 32, 32] images, int64 labels, 10 classes, `name`. Decodes in parallel
// (at::parallel_for); the failing file with the lowest index is reported.
Dataset read_cinic10_part(const std::filesystem::path& part_dir, const std::string& name);

// train = train/ (followed by valid/ when `valid_into_train`, the 180k-image setting of the
// CINIC-10 paper), test = test/. valid/ is only needed when it is used. `dir` may also be the
// folder above one named CINIC-10. Every folder is checked before any image is decoded.
TrainTest load_cinic10(const std::filesystem::path& dir, bool valid_into_train);

}  // namespace cwrf::data
