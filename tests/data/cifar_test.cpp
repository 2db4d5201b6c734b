#include "cwrf/common/error.h"
#include "cwrf/data/cifar.h"
#include "data/fixtures.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::data {
namespace {

using testing::cifar_pixel;
using testing::cifar_record;
using testing::TempDir;
using testing::write_bytes;

// Every pixel of image `row` equals what record `record` wrote, at (c, y, x): checks CHW order.
void expect_record_pixels(const torch::Tensor& images, int64_t row, int record) {
  auto a = images.accessor<uint8_t, 4>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        ASSERT_EQ(a[row][c][y][x], cifar_pixel(record, c, y, x)) << "row " << row << " c" << c << " y" << y << " x" << x;
}

// Writes a CIFAR-10 directory: train files with 2 records each, a test file with 3; record ids
// are global so every image is distinct. Label of record r = r % 10.
void write_cifar10(const std::filesystem::path& dir) {
  int record = 0;
  for (int f = 1; f <= 5; ++f) {
    std::string bytes;
    for (int i = 0; i < 2; ++i, ++record) bytes += cifar_record({static_cast<uint8_t>(record % 10)}, record);
    write_bytes(dir / ("data_batch_" + std::to_string(f) + ".bin"), bytes);
  }
  std::string test;
  for (int i = 0; i < 3; ++i, ++record) test += cifar_record({static_cast<uint8_t>(record % 10)}, record);
  write_bytes(dir / "test_batch.bin", test);
}

TEST(Cifar, Cifar10BinaryFormat) {
  TempDir dir;
  write_cifar10(dir.path());
  TrainTest data = load_cifar10(dir.path());
  ASSERT_EQ(data.train.inputs.sizes(), (std::vector<int64_t>{10, 3, 32, 32}));
  ASSERT_EQ(data.test.inputs.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(data.train.inputs.scalar_type(), torch::kUInt8);
  EXPECT_EQ(data.train.num_classes, 10);
  EXPECT_EQ(data.test.num_classes, 10);
  EXPECT_TRUE(torch::equal(data.train.labels, torch::arange(10, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.test.labels, torch::tensor({0, 1, 2}, torch::kInt64)));
  for (int r = 0; r < 10; ++r) expect_record_pixels(data.train.inputs, r, r);
  for (int r = 0; r < 3; ++r) expect_record_pixels(data.test.inputs, r, 10 + r);
  EXPECT_EQ(data.train.name, "cifar10/train");
}

TEST(Cifar, Cifar10AcceptsTheTarballFolderParent) {
  TempDir dir;
  write_cifar10(dir / "cifar-10-batches-bin");
  EXPECT_EQ(load_cifar10(dir.path()).train.size(), 10);
}

TEST(Cifar, Cifar100FineAndCoarse) {
  TempDir dir;
  // Record r: coarse = r % 20, fine = (r * 7) % 100.
  auto write = [&](const std::string& name, int first, int count) {
    std::string bytes;
    for (int r = first; r < first + count; ++r)
      bytes += cifar_record({static_cast<uint8_t>(r % 20), static_cast<uint8_t>((r * 7) % 100)}, r);
    write_bytes(dir / name, bytes);
  };
  write("train.bin", 0, 4);
  write("test.bin", 17, 3);

  TrainTest fine = load_cifar100(dir.path(), CifarLabels::kFine);
  EXPECT_EQ(fine.train.num_classes, 100);
  EXPECT_TRUE(torch::equal(fine.train.labels, torch::tensor({0, 7, 14, 21}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(fine.test.labels, torch::tensor({19, 26, 33}, torch::kInt64)));
  ASSERT_EQ(fine.train.inputs.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  for (int r = 0; r < 4; ++r) expect_record_pixels(fine.train.inputs, r, r);
  for (int r = 0; r < 3; ++r) expect_record_pixels(fine.test.inputs, r, 17 + r);

  TrainTest coarse = load_cifar100(dir.path(), CifarLabels::kCoarse);
  EXPECT_EQ(coarse.train.num_classes, 20);
  EXPECT_TRUE(torch::equal(coarse.train.labels, torch::tensor({0, 1, 2, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(coarse.test.labels, torch::tensor({17, 18, 19}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(coarse.train.inputs, fine.train.inputs));
}

TEST(Cifar, LengthNotAMultipleOfTheRecordSize) {
  TempDir dir;
  std::string bytes = cifar_record({1}, 0) + cifar_record({2}, 1);
  write_bytes(dir / "cut.bin", bytes.substr(0, bytes.size() - 5));
  try {
    read_cifar10({dir / "cut.bin"}, "x");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3073"), std::string::npos) << e.what();
  }
  // A CIFAR-10 record (3073 bytes) read as CIFAR-100 (3074) fails the same way.
  write_bytes(dir / "ten.bin", cifar_record({1}, 0));
  EXPECT_THROW(read_cifar100(dir / "ten.bin", CifarLabels::kFine, "x"), Error);
}

TEST(Cifar, LabelBeyondTheClassesNamesTheFile) {
  TempDir dir;
  write_bytes(dir / "bad.bin", cifar_record({3}, 0) + cifar_record({10}, 1));
  try {
    read_cifar10({dir / "bad.bin"}, "x");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("record 1"), std::string::npos) << e.what();
  }
  write_bytes(dir / "coarse.bin", cifar_record({20, 5}, 0));
  EXPECT_THROW(read_cifar100(dir / "coarse.bin", CifarLabels::kFine, "x"), Error);
  write_bytes(dir / "fine.bin", cifar_record({2, 100}, 0));
  EXPECT_THROW(read_cifar100(dir / "fine.bin", CifarLabels::kCoarse, "x"), Error);
}

TEST(Cifar, MissingFileNamesTheFile) {
  TempDir dir;
  try {
    load_cifar10(dir.path());
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_1.bin"), std::string::npos) << e.what();
  }
}

TEST(Cifar, LabelKindOption) {
  EXPECT_EQ(parse_cifar100_labels("fine"), CifarLabels::kFine);
  EXPECT_EQ(parse_cifar100_labels("coarse"), CifarLabels::kCoarse);
  try {
    parse_cifar100_labels("medium");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.cifar100_labels"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("medium"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::data
