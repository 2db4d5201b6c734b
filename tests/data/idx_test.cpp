#include "cwrf/common/error.h"
#include "cwrf/data/idx.h"
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

// 5 images of 7x9 with distinct pixel values and labels over 3 classes.
std::vector<uint8_t> pixels(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 13 + 5) % 251);
  return v;
}

torch::Tensor expected(const std::vector<uint8_t>& v, std::vector<int64_t> shape) {
  return torch::tensor(std::vector<int64_t>(v.begin(), v.end())).to(torch::kUInt8).reshape(shape);
}

// Expects `fn` to throw Error whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Idx, RawRoundTripKeepsShapeAndValues) {
  TempDir dir;
  auto v = pixels(5 * 7 * 9);
  write_bytes(dir / "img.idx", idx_bytes({5, 7, 9}, v));
  torch::Tensor t = read_idx(dir / "img.idx");
  EXPECT_EQ(t.scalar_type(), torch::kUInt8);
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{5, 7, 9}));
  EXPECT_TRUE(torch::equal(t, expected(v, {5, 7, 9})));
}

TEST(Idx, GzipRoundTripIsDetectedByContent) {
  TempDir dir;
  auto v = pixels(5 * 7 * 9);
  // No .gz suffix: detection is by the 1f 8b magic.
  write_bytes(dir / "img.idx", gzip_bytes(idx_bytes({5, 7, 9}, v)));
  torch::Tensor t = read_idx(dir / "img.idx");
  EXPECT_TRUE(torch::equal(t, expected(v, {5, 7, 9})));
}

TEST(Idx, ConcatenatedGzipMembersAreRead) {
  TempDir dir;
  std::string raw = idx_bytes({4, 3}, pixels(12));
  write_bytes(dir / "a.gz", gzip_bytes(raw.substr(0, 10)) + gzip_bytes(raw.substr(10)));
  EXPECT_TRUE(torch::equal(read_idx(dir / "a.gz"), expected(pixels(12), {4, 3})));
}

TEST(Idx, FourDimensionalFile) {
  TempDir dir;
  auto v = pixels(2 * 3 * 4 * 5);
  write_bytes(dir / "x.gz", gzip_bytes(idx_bytes({2, 3, 4, 5}, v)));
  EXPECT_TRUE(torch::equal(read_idx(dir / "x.gz"), expected(v, {2, 3, 4, 5})));
}

TEST(Idx, MultiByteTypesAreBigEndian) {
  TempDir dir;
  // int32 values 1, 258, -2 as big-endian bytes.
  write_bytes(dir / "i.idx", idx_bytes({3}, {0, 0, 0, 1, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe}, 0x0C));
  torch::Tensor t = read_idx(dir / "i.idx");
  EXPECT_EQ(t.scalar_type(), torch::kInt32);
  EXPECT_TRUE(torch::equal(t, torch::tensor({1, 258, -2}, torch::kInt32)));
  // float32 1.5 = 0x3fc00000.
  write_bytes(dir / "f.idx", idx_bytes({1}, {0x3f, 0xc0, 0, 0}, 0x0D));
  EXPECT_FLOAT_EQ(read_idx(dir / "f.idx").item<float>(), 1.5f);
}

TEST(Idx, DatasetWithNonMnistSizes) {
  TempDir dir;
  auto v = pixels(5 * 7 * 9);
  write_bytes(dir / "images", gzip_bytes(idx_bytes({5, 7, 9}, v)));
  write_bytes(dir / "labels", idx_bytes({5}, {2, 0, 1, 2, 0}));
  Dataset d = read_idx_dataset(dir / "images", dir / "labels", "tiny/train");
  EXPECT_EQ(d.inputs.sizes(), (std::vector<int64_t>{5, 1, 7, 9}));
  EXPECT_EQ(d.inputs.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(d.inputs, expected(v, {5, 1, 7, 9})));
  EXPECT_EQ(d.labels.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({2, 0, 1, 2, 0}, torch::kInt64)));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.name, "tiny/train");
  EXPECT_TRUE(d.is_image());
}

TEST(Idx, FourDimensionalDatasetKeepsChannels) {
  TempDir dir;
  auto v = pixels(3 * 2 * 4 * 4);
  write_bytes(dir / "images", idx_bytes({3, 2, 4, 4}, v));
  write_bytes(dir / "labels", idx_bytes({3}, {0, 6, 1}));
  Dataset d = read_idx_dataset(dir / "images", dir / "labels", "x");
  EXPECT_TRUE(torch::equal(d.inputs, expected(v, {3, 2, 4, 4})));
  EXPECT_EQ(d.num_classes, 7);
}

TEST(Idx, WrongMagicNamesTheFile) {
  TempDir dir;
  std::string bytes = idx_bytes({2, 2}, {1, 2, 3, 4});
  bytes[0] = 0x12;
  write_bytes(dir / "bad-magic.idx", bytes);
  expect_error([&] { read_idx(dir / "bad-magic.idx"); }, {"magic", "bad-magic.idx"});
}

TEST(Idx, TruncatedRawFileNamesTheFile) {
  TempDir dir;
  std::string bytes = idx_bytes({5, 7, 9}, pixels(5 * 7 * 9));
  write_bytes(dir / "short.idx", bytes.substr(0, bytes.size() - 1));
  expect_error([&] { read_idx(dir / "short.idx"); }, {"short.idx", "truncated"});
  // A header cut inside the dims is truncated too.
  write_bytes(dir / "header.idx", bytes.substr(0, 9));
  expect_error([&] { read_idx(dir / "header.idx"); }, {"header.idx", "truncated"});
}

TEST(Idx, TruncatedGzipStreamNamesTheFile) {
  TempDir dir;
  std::string gz = gzip_bytes(idx_bytes({5, 7, 9}, pixels(5 * 7 * 9)));
  write_bytes(dir / "short.gz", gz.substr(0, gz.size() / 2));
  expect_error([&] { read_idx(dir / "short.gz"); }, {"short.gz", "truncated"});
  // Cut only in the trailer (CRC + size): the data decompress, the stream does not end.
  write_bytes(dir / "trailer.gz", gz.substr(0, gz.size() - 3));
  expect_error([&] { read_idx(dir / "trailer.gz"); }, {"trailer.gz", "truncated"});
}

TEST(Idx, MissingFileNamesTheFile) {
  TempDir dir;
  expect_error([&] { read_idx(dir / "nowhere.idx"); }, {"nowhere.idx"});
}

TEST(Idx, ImageLabelCountMismatch) {
  TempDir dir;
  write_bytes(dir / "images", idx_bytes({5, 7, 9}, pixels(5 * 7 * 9)));
  write_bytes(dir / "labels", idx_bytes({4}, {0, 1, 2, 0}));
  expect_error([&] { read_idx_dataset(dir / "images", dir / "labels", "x"); }, {"images", "labels", "5", "4"});
}

TEST(Idx, LabelsMustBeOneDimensional) {
  TempDir dir;
  write_bytes(dir / "images", idx_bytes({2, 2, 2}, pixels(8)));
  write_bytes(dir / "labels", idx_bytes({2, 1}, {0, 1}));
  expect_error([&] { read_idx_dataset(dir / "images", dir / "labels", "x"); }, {"labels", "1 dim"});
}

}  // namespace
}  // namespace cwrf::data
