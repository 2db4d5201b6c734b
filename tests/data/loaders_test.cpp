#include "cwrf/common/error.h"
#include "cwrf/data/loaders.h"
#include "data/fixtures.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::data {
namespace {

using testing::gzip_bytes;
using testing::idx_bytes;
using testing::TempDir;
using testing::write_bytes;

std::string error_of(const DataOptions& o) {
  try {
    load_dataset(o);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected cwrf::Error";
  return "";
}

TEST(DataLoad, IdxByNameWithCustomFileNames) {
  TempDir dir;
  write_bytes(dir / "tr-img", gzip_bytes(idx_bytes({4, 3, 2}, std::vector<uint8_t>(24, 9))));
  write_bytes(dir / "tr-lab", idx_bytes({4}, {0, 1, 4, 1}));
  write_bytes(dir / "te-img", idx_bytes({2, 3, 2}, std::vector<uint8_t>(12, 1)));
  write_bytes(dir / "te-lab", gzip_bytes(idx_bytes({2}, {3, 0})));
  DataOptions o;
  o.name = "idx";
  o.path = dir.path().string();
  o.train_images = "tr-img";
  o.train_labels = "tr-lab";
  o.test_images = "te-img";
  o.test_labels = "te-lab";
  TrainTest data = load_dataset(o);
  EXPECT_EQ(data.train.inputs.sizes(), (std::vector<int64_t>{4, 1, 3, 2}));
  EXPECT_EQ(data.test.inputs.sizes(), (std::vector<int64_t>{2, 1, 3, 2}));
  EXPECT_EQ(data.train.num_classes, 5);
  EXPECT_EQ(data.train.name, "idx/train");
  EXPECT_EQ(data.test.name, "idx/test");
}

TEST(DataLoad, UnknownNameListsTheKnownOnes) {
  DataOptions o;
  o.name = "mnist2";
  std::string message = error_of(o);
  EXPECT_NE(message.find("mnist2"), std::string::npos) << message;
  for (const auto& name : dataset_names()) EXPECT_NE(message.find(name), std::string::npos) << message;
  EXPECT_THROW(default_data_path("mnist2"), Error);
}

TEST(DataLoad, CifarNeedsAPath) {
  for (std::string name : {"cifar10", "cifar100"}) {
    DataOptions o;
    o.name = name;
    std::string message = error_of(o);
    EXPECT_NE(message.find("data.path"), std::string::npos) << message;
    EXPECT_EQ(default_data_path(name), "");
  }
  EXPECT_EQ(default_data_path("fashion-mnist"), "/usr/share/datasets/fashion-mnist");
}

TEST(DataLoad, BadCifar100LabelsValue) {
  TempDir dir;
  DataOptions o;
  o.name = "cifar100";
  o.path = dir.path().string();
  o.cifar100_labels = "superfine";
  std::string message = error_of(o);
  EXPECT_NE(message.find("data.cifar100_labels"), std::string::npos) << message;
  EXPECT_NE(message.find("superfine"), std::string::npos) << message;
}

TEST(DataLoad, MissingFileIsNamed) {
  TempDir dir;
  DataOptions o;
  o.name = "idx";
  o.path = dir.path().string();
  std::string message = error_of(o);
  EXPECT_NE(message.find("train-images-idx3-ubyte.gz"), std::string::npos) << message;
}

TEST(DataLoad, PathMustBeADirectory) {
  DataOptions o;
  o.name = "idx";
  o.path = "/nonexistent/cwrf-data";
  std::string message = error_of(o);
  EXPECT_NE(message.find("/nonexistent/cwrf-data"), std::string::npos) << message;
}

}  // namespace
}  // namespace cwrf::data
