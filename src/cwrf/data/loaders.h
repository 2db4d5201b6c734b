// Loading a dataset by name: the official train and test parts, as uint8 images.
#pragma once

#include "cwrf/data/dataset.h"

#include <string>
#include <vector>

namespace cwrf::data {

struct DataOptions {
  std::string name = "fashion-mnist";  // fashion-mnist | idx | cifar10 | cifar100
  std::string path;                    // directory holding the files; empty = the dataset's default
  // IDX file names inside `path` (used by fashion-mnist and idx; gzip or raw, detected by content).
  std::string train_images = "train-images-idx3-ubyte.gz";
  std::string train_labels = "train-labels-idx1-ubyte.gz";
  std::string test_images = "t10k-images-idx3-ubyte.gz";
  std::string test_labels = "t10k-labels-idx1-ubyte.gz";
  std::string cifar100_labels = "fine";  // fine (100 classes) | coarse (20 superclasses)
};

// Throws Error naming the file for a missing, truncated or malformed file, and naming the
// option for an unknown dataset name or label kind.
TrainTest load_dataset(const DataOptions& options);

std::vector<std::string> dataset_names();
std::string default_data_path(const std::string& name);  // e.g. /usr/share/datasets/fashion-mnist

}  // namespace cwrf::data
