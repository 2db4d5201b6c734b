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

// Labels are checked at load time, so a bad labels file is an error naming the file and the
// value rather than LibTorch's "Target 138 is out of bounds" in the middle of training.
TEST(DataLoad, TestLabelsOutsideTheTrainingClassesAreNamed) {
  TempDir dir;
  write_bytes(dir / "train-images-idx3-ubyte.gz", idx_bytes({4, 3, 2}, std::vector<uint8_t>(24, 9)));
  write_bytes(dir / "train-labels-idx1-ubyte.gz", idx_bytes({4}, {0, 1, 2, 1}));
  write_bytes(dir / "t10k-images-idx3-ubyte.gz", idx_bytes({3, 3, 2}, std::vector<uint8_t>(18, 1)));
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes({3}, {2, 138, 0}));
  DataOptions o;
  o.name = "idx";
  o.path = dir.path().string();
  const std::string msg = error_of(o);
  EXPECT_NE(msg.find("t10k-labels-idx1-ubyte.gz: label 138 of item 1 is outside 0..2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the training labels"), std::string::npos) << msg;
  // Within the training range, the test part takes the training part's class count.
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes({3}, {2, 0, 0}));
  const TrainTest data = load_dataset(o);
  EXPECT_EQ(data.test.num_classes, 3);
  EXPECT_EQ(data.train.num_classes, 3);
}

TEST(DataLoad, FashionMnistHasTenClassesWhateverItsFilesSay) {
  TempDir dir;
  write_bytes(dir / "train-images-idx3-ubyte.gz", idx_bytes({4, 3, 2}, std::vector<uint8_t>(24, 9)));
  write_bytes(dir / "train-labels-idx1-ubyte.gz", idx_bytes({4}, {0, 1, 12, 1}));  // a mutated training file
  write_bytes(dir / "t10k-images-idx3-ubyte.gz", idx_bytes({2, 3, 2}, std::vector<uint8_t>(12, 1)));
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes({2}, {3, 0}));
  DataOptions o;
  o.name = "fashion-mnist";
  o.path = dir.path().string();
  const std::string msg = error_of(o);
  EXPECT_NE(msg.find("train-labels-idx1-ubyte.gz: label 12 of item 2 is outside 0..9 (Fashion-MNIST has 10 classes)"),
            std::string::npos)
      << msg;
  // Labels that happen to use fewer classes still give the dataset's 10.
  write_bytes(dir / "train-labels-idx1-ubyte.gz", idx_bytes({4}, {0, 1, 2, 1}));
  const TrainTest data = load_dataset(o);
  EXPECT_EQ(data.train.num_classes, 10);
  EXPECT_EQ(data.test.num_classes, 10);
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
