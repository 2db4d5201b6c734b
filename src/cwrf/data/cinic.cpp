#include "cwrf/data/cinic.h"

#include "cwrf/common/error.h"
#include "cwrf/data/png.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <set>

namespace cwrf::data {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kImageBytes = 3 * kSide * kSide;

struct Entry {
  fs::path file;
  int64_t label;
};

bool is_png_name(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png";
}

std::string class_list() {
  std::string out;
  for (const auto& c : cinic10_classes()) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// Error names the folder, says what it should be and what is wrong with it.
void require_dir(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  const bool exists = fs::exists(dir, ec);
  throw Error(fmt::format("{}: {} (expected {})", dir.string(),
                          exists ? "not a folder" : (ec ? "cannot access (" + ec.message() + ")" : "missing folder"),
                          what));
}

// The *.png files of one part, class by class in label order, each class sorted by file name.
std::vector<Entry> list_part(const fs::path& part_dir) {
  require_dir(part_dir, "a CINIC-10 part folder (train, valid or test) holding one folder per class");
  const std::vector<std::string> classes = cinic10_classes();
  const std::set<std::string> known(classes.begin(), classes.end());
  std::error_code ec;
  for (fs::directory_iterator it(part_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (entry.empty() || entry[0] == '.' || known.count(entry) > 0) continue;
    std::error_code dir_ec;
    if (it->is_directory(dir_ec))
      throw Error(fmt::format("{}: unknown class folder (a CINIC-10 part holds exactly: {})", it->path().string(),
                              class_list()));
  }
  if (ec) throw Error(fmt::format("{}: cannot list folder ({})", part_dir.string(), ec.message()));

  std::vector<Entry> entries;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path dir = part_dir / classes[label];
    require_dir(dir,
                fmt::format("the CINIC-10 class folder '{}'; a part holds exactly: {}", classes[label], class_list()));
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code file_ec;
      if (is_png_name(it->path()) && it->is_regular_file(file_ec)) files.push_back(it->path());
    }
    if (ec) throw Error(fmt::format("{}: cannot list folder ({})", dir.string(), ec.message()));
    if (files.empty())
      throw Error(fmt::format("{}: no *.png images in this class folder (expected the class's 32x32 PNGs)",
                              dir.string()));
    // Directory order is filesystem-dependent; sorting makes the dataset (and splits) reproducible.
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    for (auto& f : files) entries.push_back({std::move(f), static_cast<int64_t>(label)});
  }
  return entries;
}

// Decodes every entry into one preallocated tensor (90,000 files in the real train part).
Dataset decode(const std::vector<Entry>& entries, const std::string& name) {
  const auto n = static_cast<int64_t>(entries.size());
  Dataset dataset;
  dataset.inputs = torch::empty({n, 3, kSide, kSide}, torch::kUInt8);
  dataset.labels = torch::empty({n}, torch::kInt64);
  dataset.num_classes = 10;
  dataset.name = name;
  uint8_t* images = dataset.inputs.data_ptr<uint8_t>();
  int64_t* labels = dataset.labels.data_ptr<int64_t>();

  // Each chunk stops at its first failure; the lowest failing index overall is reported, so
  // the message does not depend on thread scheduling.
  std::mutex mutex;
  int64_t failed_at = std::numeric_limits<int64_t>::max();
  std::string failure;
  at::parallel_for(0, n, 32, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::string message;
      try {
        const torch::Tensor image = read_png_rgb(entries[i].file);
        if (image.size(1) != kSide || image.size(2) != kSide)
          message = fmt::format("{}: image is {}x{} (width x height), expected 32x32 as every CINIC-10 image",
                                entries[i].file.string(), image.size(2), image.size(1));
        else
          std::memcpy(images + i * kImageBytes, image.data_ptr<uint8_t>(), kImageBytes);
      } catch (const Error& e) {
        message = e.what();
      } catch (const std::exception& e) {
        message = fmt::format("{}: {}", entries[i].file.string(), e.what());
      }
      if (!message.empty()) {
        std::lock_guard<std::mutex> lock(mutex);
        if (i < failed_at) failed_at = i, failure = std::move(message);
        return;
      }
      labels[i] = entries[i].label;
    }
  });
  if (!failure.empty()) throw Error(failure);
  return dataset;
}

// Accept the folder holding train/valid/test or the one above CINIC-10/.
fs::path resolve_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir / "test", ec) && fs::is_directory(dir / "CINIC-10" / "test", ec)) return dir / "CINIC-10";
  return dir;
}

}  // namespace

std::vector<std::string> cinic10_classes() {
  return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

Dataset read_cinic10_part(const fs::path& part_dir, const std::string& name) {
  return decode(list_part(part_dir), name);
}

TrainTest load_cinic10(const fs::path& dir_in, bool valid_into_train) {
  const fs::path dir = resolve_dir(dir_in);
  // List everything first: a missing test/ or class folder fails before minutes of decoding.
  std::vector<Entry> train = list_part(dir / "train");
  if (valid_into_train) {
    std::vector<Entry> valid = list_part(dir / "valid");
    train.insert(train.end(), std::make_move_iterator(valid.begin()), std::make_move_iterator(valid.end()));
  }
  const std::vector<Entry> test = list_part(dir / "test");
  return {decode(train, valid_into_train ? "cinic10/train+valid" : "cinic10/train"), decode(test, "cinic10/test")};
}

}  // namespace cwrf::data
