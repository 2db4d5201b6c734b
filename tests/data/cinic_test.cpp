#include "cwrf/common/error.h"
#include "cwrf/data/cinic.h"
#include "cwrf/data/loaders.h"
#include "cwrf/data/png.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <png.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

namespace cwrf::data {
namespace {

using testing::TempDir;
using testing::write_bytes;

// Pixel (c, y, x) of generated image `id`: distinct per image, channel and position.
uint8_t pixel(int id, int c, int y, int x) { return static_cast<uint8_t>((id * 29 + c * 83 + y * 5 + x * 3) % 256); }

torch::Tensor image(int id, int64_t h = 32, int64_t w = 32) {
  torch::Tensor t = torch::empty({3, h, w}, torch::kUInt8);
  auto a = t.accessor<uint8_t, 3>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) a[c][y][x] = pixel(id, c, y, x);
  return t;
}

// A PNG in any layout the simplified write API supports (gray, gray+alpha, RGBA, 16-bit,
// palette), for decoding tests; `buffer` is interleaved rows.
void write_png_format(const std::filesystem::path& file, uint32_t format, int w, int h, const void* buffer,
                      const void* colormap = nullptr, int colormap_entries = 0) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = format;
  image.colormap_entries = colormap_entries;
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
  std::string bytes(size, '\0');
  ASSERT_NE(png_image_write_to_memory(&image, bytes.data(), &size, 0, buffer, 0, colormap), 0) << image.message;
  bytes.resize(size);
  write_bytes(file, bytes);
}

// The IHDR colour type byte of a PNG file: checks a fixture really has the layout under test.
int color_type_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.size() > 25 ? static_cast<unsigned char>(bytes[25]) : -1;
}
int bit_depth_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.size() > 24 ? static_cast<unsigned char>(bytes[24]) : -1;
}

// Expects `f` to throw cwrf::Error whose message contains every one of `parts`.
template <typename F>
void expect_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// A CINIC-10 part: `per_class` images per class, written in reverse name order (so sorting is
// observable) plus a non-PNG file that must be ignored. Image id = first_id + class*per_class + k,
// stored as file "img_<k>.png" in the class folder.
void write_part(const std::filesystem::path& part, int per_class, int first_id) {
  const auto classes = cinic10_classes();
  for (int c = 0; c < 10; ++c) {
    for (int k = per_class - 1; k >= 0; --k)
      write_png_rgb(part / classes[c] / ("img_" + std::to_string(k) + ".png"), image(first_id + c * per_class + k));
    write_bytes(part / classes[c] / "notes.txt", "not an image");
  }
}

void expect_part_pixels(const Dataset& d, int64_t first_row, int per_class, int first_id) {
  for (int c = 0; c < 10; ++c)
    for (int k = 0; k < per_class; ++k) {
      const int64_t row = first_row + c * per_class + k;
      EXPECT_EQ(d.labels[row].item<int64_t>(), c) << "row " << row;
      EXPECT_TRUE(torch::equal(d.inputs[row], image(first_id + c * per_class + k))) << "row " << row;
    }
}

TEST(Png, RgbRoundTrip) {
  TempDir dir;
  const torch::Tensor original = image(7, 5, 9);  // non-square: catches H/W swaps
  write_png_rgb(dir / "a.png", original);
  EXPECT_EQ(color_type_of(dir / "a.png"), PNG_COLOR_TYPE_RGB);
  const torch::Tensor back = read_png_rgb(dir / "a.png");
  EXPECT_EQ(back.scalar_type(), torch::kUInt8);
  ASSERT_EQ(back.sizes(), (std::vector<int64_t>{3, 5, 9}));
  EXPECT_TRUE(torch::equal(back, original));
  // Any strides are accepted on write.
  write_png_rgb(dir / "t.png", original.transpose(1, 2));
  EXPECT_TRUE(torch::equal(read_png_rgb(dir / "t.png"), original.transpose(1, 2)));
}

TEST(Png, WriteRejectsWrongTensors) {
  TempDir dir;
  expect_error([&] { write_png_rgb(dir / "f.png", torch::zeros({3, 4, 4}, torch::kFloat)); }, {"f.png", "Float"});
  expect_error([&] { write_png_rgb(dir / "g.png", torch::zeros({1, 4, 4}, torch::kUInt8)); }, {"g.png", "[1, 4, 4]"});
}

TEST(Png, GrayReplicatesToRgb) {
  TempDir dir;
  const int w = 6, h = 4;
  std::vector<uint8_t> gray(w * h);
  for (int i = 0; i < w * h; ++i) gray[i] = static_cast<uint8_t>(i * 11);
  write_png_format(dir / "g.png", PNG_FORMAT_GRAY, w, h, gray.data());
  ASSERT_EQ(color_type_of(dir / "g.png"), PNG_COLOR_TYPE_GRAY);
  const torch::Tensor t = read_png_rgb(dir / "g.png");
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, h, w}));
  const torch::Tensor expected = torch::tensor(std::vector<int64_t>(gray.begin(), gray.end())).to(torch::kUInt8);
  for (int c = 0; c < 3; ++c) EXPECT_TRUE(torch::equal(t[c].flatten(), expected)) << "channel " << c;
}

TEST(Png, PaletteLooksUpEntriesAndDropsTransparency) {
  TempDir dir;
  const int w = 4, h = 3;
  // RGBA palette with one transparent entry: alpha is dropped, the stored colour kept.
  const uint8_t palette[3][4] = {{10, 20, 30, 255}, {200, 100, 50, 255}, {1, 2, 3, 0}};
  std::vector<uint8_t> index(w * h);
  for (int i = 0; i < w * h; ++i) index[i] = static_cast<uint8_t>(i % 3);
  write_png_format(dir / "p.png", PNG_FORMAT_RGBA_COLORMAP, w, h, index.data(), palette, 3);
  ASSERT_EQ(color_type_of(dir / "p.png"), PNG_COLOR_TYPE_PALETTE);
  const torch::Tensor t = read_png_rgb(dir / "p.png");
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, h, w}));
  auto a = t.accessor<uint8_t, 3>();
  for (int i = 0; i < w * h; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(a[c][i / w][i % w], palette[i % 3][c]) << "pixel " << i << " c" << c;
}

TEST(Png, AlphaIsDroppedNotComposited) {
  TempDir dir;
  const int w = 3, h = 2;
  std::vector<uint8_t> rgba(w * h * 4), ga(w * h * 2);
  for (int i = 0; i < w * h; ++i) {
    rgba[4 * i] = static_cast<uint8_t>(40 + i), rgba[4 * i + 1] = 90, rgba[4 * i + 2] = 250;
    rgba[4 * i + 3] = static_cast<uint8_t>(i * 50);  // 0 = fully transparent
    ga[2 * i] = static_cast<uint8_t>(100 + i), ga[2 * i + 1] = 0;
  }
  write_png_format(dir / "rgba.png", PNG_FORMAT_RGBA, w, h, rgba.data());
  write_png_format(dir / "ga.png", PNG_FORMAT_GA, w, h, ga.data());
  ASSERT_EQ(color_type_of(dir / "rgba.png"), PNG_COLOR_TYPE_RGB_ALPHA);
  ASSERT_EQ(color_type_of(dir / "ga.png"), PNG_COLOR_TYPE_GRAY_ALPHA);
  auto a = read_png_rgb(dir / "rgba.png");
  auto g = read_png_rgb(dir / "ga.png");
  for (int i = 0; i < w * h; ++i)
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(a[c][i / w][i % w].item<int>(), rgba[4 * i + c]) << "pixel " << i;
      EXPECT_EQ(g[c][i / w][i % w].item<int>(), ga[2 * i]) << "pixel " << i;
    }
}

TEST(Png, SixteenBitKeepsTheHighByte) {
  TempDir dir;
  const int w = 4, h = 2;
  std::vector<uint16_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint16_t>(i * 9 * 257 + 3);
  write_png_format(dir / "16.png", PNG_FORMAT_LINEAR_RGB, w, h, rgb.data());
  ASSERT_EQ(bit_depth_of(dir / "16.png"), 16);
  auto t = read_png_rgb(dir / "16.png");
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, h, w}));
  for (int i = 0; i < w * h; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(t[c][i / w][i % w].item<int>(), rgb[3 * i + c] >> 8) << "pixel " << i;
}

TEST(Png, CorruptFilesNameTheFile) {
  TempDir dir;
  std::string noise(500, '\0');
  std::mt19937 rng(3);
  for (auto& ch : noise) ch = static_cast<char>(rng());
  write_bytes(dir / "noise.png", noise);
  expect_error([&] { read_png_rgb(dir / "noise.png"); }, {"noise.png", "not a PNG"});

  write_png_rgb(dir / "whole.png", image(1));
  std::ifstream in(dir / "whole.png", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_bytes(dir / "cut.png", bytes.substr(0, bytes.size() / 2));
  expect_error([&] { read_png_rgb(dir / "cut.png"); }, {"cut.png", "truncated", "libpng"});
  // Cut inside the trailing IEND chunk: the image data is complete but the file is not.
  write_bytes(dir / "end.png", bytes.substr(0, bytes.size() - 6));
  expect_error([&] { read_png_rgb(dir / "end.png"); }, {"end.png", "libpng"});

  // A flipped byte inside the compressed data: zlib's check (or libpng's chunk CRC) catches it.
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  write_bytes(dir / "crc.png", flipped);
  expect_error([&] { read_png_rgb(dir / "crc.png"); }, {"crc.png", "corrupt PNG", "libpng: "});

  expect_error([&] { read_png_rgb(dir / "absent.png"); }, {"absent.png", "cannot open"});
}

TEST(Cinic, ClassOrder) {
  const std::vector<std::string> expected = {"airplane", "automobile", "bird",  "cat",  "deer",
                                             "dog",      "frog",       "horse", "ship", "truck"};
  EXPECT_EQ(cinic10_classes(), expected);
}

TEST(Cinic, PartLabelsFollowTheClassOrderAndFilesAreSorted) {
  TempDir dir;
  write_part(dir / "train", 3, 0);
  std::filesystem::create_directories(dir / "train" / ".ipynb_checkpoints");  // hidden: skipped
  write_bytes(dir / "train" / "README.txt", "plain files beside the class folders are skipped");
  const Dataset d = read_cinic10_part(dir / "train", "cinic10/x");
  ASSERT_EQ(d.inputs.sizes(), (std::vector<int64_t>{30, 3, 32, 32}));
  EXPECT_EQ(d.inputs.scalar_type(), torch::kUInt8);
  EXPECT_EQ(d.labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.name, "cinic10/x");
  expect_part_pixels(d, 0, 3, 0);
}

TEST(Cinic, LoadTrainTestAndValidIntoTrain) {
  TempDir dir;
  const auto root = dir / "CINIC-10";  // given its parent: accepted like load_cifar10
  write_part(root / "train", 2, 0);
  write_part(root / "valid", 1, 100);
  write_part(root / "test", 1, 200);

  const TrainTest plain = load_cinic10(dir.path(), false);
  EXPECT_EQ(plain.train.size(), 20);
  EXPECT_EQ(plain.train.name, "cinic10/train");
  expect_part_pixels(plain.train, 0, 2, 0);
  EXPECT_EQ(plain.test.size(), 10);
  EXPECT_EQ(plain.test.name, "cinic10/test");
  expect_part_pixels(plain.test, 0, 1, 200);

  const TrainTest merged = load_cinic10(root, true);
  ASSERT_EQ(merged.train.size(), 30);
  EXPECT_EQ(merged.train.name, "cinic10/train+valid");
  expect_part_pixels(merged.train, 0, 2, 0);    // train first ...
  expect_part_pixels(merged.train, 20, 1, 100);  // ... then valid appended
  EXPECT_TRUE(torch::equal(merged.test.inputs, plain.test.inputs));
}

TEST(Cinic, ValidIsOnlyNeededWhenUsed) {
  TempDir dir;
  write_part(dir / "train", 1, 0);
  write_part(dir / "test", 1, 50);
  EXPECT_EQ(load_cinic10(dir.path(), false).train.size(), 10);
  expect_error([&] { load_cinic10(dir.path(), true); }, {"valid", "missing folder"});
}

TEST(Cinic, LoadedByNameThroughTheDataOptions) {
  // data.name = "cinic10" and data.cinic_valid reach load_cinic10 (what `cwrf train` uses).
  TempDir dir;
  write_part(dir / "train", 1, 0);
  write_part(dir / "valid", 1, 100);
  write_part(dir / "test", 1, 200);
  DataOptions o;
  o.name = "cinic10";
  o.path = dir.path().string();
  EXPECT_EQ(load_dataset(o).train.size(), 10);
  o.cinic_valid = "train";
  const TrainTest both = load_dataset(o);
  EXPECT_EQ(both.train.size(), 20);
  EXPECT_EQ(both.test.size(), 10);
  o.cinic_valid = "test";
  EXPECT_THROW(load_dataset(o), Error);
}

TEST(Cinic, WrongImageSizeNamesFileAndSize) {
  TempDir dir;
  write_part(dir / "test", 2, 0);
  write_png_rgb(dir / "test" / "dog" / "small.png", image(9, 28, 28));
  expect_error([&] { read_cinic10_part(dir / "test", "x"); }, {"small.png", "28x28", "32x32"});
}

TEST(Cinic, CorruptImagesNameTheFile) {
  TempDir dir;
  write_part(dir / "test", 2, 0);
  write_bytes(dir / "test" / "frog" / "junk.png", std::string(300, '\x5a'));
  expect_error([&] { read_cinic10_part(dir / "test", "x"); }, {"junk.png", "not a PNG"});

  std::filesystem::remove(dir / "test" / "frog" / "junk.png");
  std::ifstream in(dir / "test" / "cat" / "img_1.png", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_bytes(dir / "test" / "cat" / "img_1.png", bytes.substr(0, 60));
  expect_error([&] { read_cinic10_part(dir / "test", "x"); }, {"img_1.png", "cat", "truncated"});
}

TEST(Cinic, TheLowestFailingFileIsReported) {
  TempDir dir;
  write_part(dir / "test", 40, 0);  // 400 files: several parallel chunks
  write_bytes(dir / "test" / "airplane" / "img_7.png", "bad");
  write_bytes(dir / "test" / "truck" / "img_3.png", "bad");
  for (int run = 0; run < 3; ++run)
    expect_error([&] { read_cinic10_part(dir / "test", "x"); }, {"airplane", "img_7.png"});
}

TEST(Cinic, FolderErrors) {
  TempDir dir;
  write_part(dir / "train", 1, 0);
  write_part(dir / "test", 1, 0);
  std::filesystem::remove_all(dir / "test" / "horse");
  expect_error([&] { load_cinic10(dir.path(), false); }, {"horse", "missing folder"});

  write_part(dir / "test", 1, 0);
  std::filesystem::create_directories(dir / "test" / "bicycle");
  expect_error([&] { load_cinic10(dir.path(), false); }, {"bicycle", "unknown class folder"});
  std::filesystem::remove_all(dir / "test" / "bicycle");

  std::filesystem::create_directories(dir / "train" / "ship" / "empty");
  for (const auto& e : std::filesystem::directory_iterator(dir / "train" / "ship"))
    if (e.path().extension() == ".png") std::filesystem::remove(e.path());
  expect_error([&] { load_cinic10(dir.path(), false); }, {"ship", "no *.png"});
  write_part(dir / "train", 1, 0);

  std::filesystem::remove_all(dir / "test");
  expect_error([&] { load_cinic10(dir.path(), false); }, {"test", "missing folder"});
  expect_error([&] { read_cinic10_part(dir / "nowhere", "x"); }, {"nowhere", "missing folder"});
}

// Decode throughput on generated images; run by hand (CWRF_CINIC_BENCH_N images, default 5000):
//   build/tests/cwrf_unit_tests --gtest_filter='Cinic.DISABLED_*' --gtest_also_run_disabled_tests
TEST(Cinic, DISABLED_DecodeRate) {
  const char* env = std::getenv("CWRF_CINIC_BENCH_N");
  const int total = env != nullptr ? std::atoi(env) : 5000;
  TempDir dir;
  std::mt19937 rng(1);
  const auto classes = cinic10_classes();
  for (int i = 0; i < total; ++i) {
    // Noise plus structure: compresses like a natural image more than pure noise would.
    torch::Tensor t = image(i);
    auto a = t.accessor<uint8_t, 3>();
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) a[c][y][x] = static_cast<uint8_t>(a[c][y][x] + rng() % 16);
    write_png_rgb(dir / "part" / classes[i % 10] / ("img_" + std::to_string(i) + ".png"), t);
  }
  const auto start = std::chrono::steady_clock::now();
  const Dataset d = read_cinic10_part(dir / "part", "bench");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(d.size(), total);
  std::printf("decoded %d 32x32 PNGs in %.3f s: %.0f images/s with %d threads\n", total, s, total / s,
              at::get_num_threads());
}

}  // namespace
}  // namespace cwrf::data
