// Shared helpers for the test suites.
#pragma once

#include "cwrf/config/config.h"

#include <filesystem>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <string>
#include <vector>

namespace cwrf::models {
struct ModelSpec;  // models/classifier.h
}

namespace cwrf::testing {

// A fresh, empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes raw bytes to a file (creating parent directories); for generated fixtures.
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// The cwrf program as a user runs it: exit status and what it printed.
struct Invocation {
  int status = -1;  // exit status, -1 when it did not exit normally
  std::string out;
};
enum class Streams { StdoutAndStderr, StdoutOnly };
// Runs the built binary (CWRF_BINARY) with `args` through the shell.
Invocation run_cwrf(const std::string& args, Streams streams = Streams::StdoutAndStderr);

// A model job's config (job::schema()) with `keys` set in order: a test's config as one table.
config::Config job_config(std::initializer_list<std::pair<const char*, config::Json>> keys);
// The same on the tiny synthetic IDX dataset in `data` (write_synthetic_idx_dataset): one
// thread, width-4 CNN, batch 32, 2 epochs, then `keys`.
config::Config tiny_idx_config(const std::filesystem::path& data,
                               std::initializer_list<std::pair<const char*, config::Json>> keys = {});

// The tiny experiment of the run, paper, slurm and cuda tests, as TOML: two rows, No Defense and
// CE + CWRF (r = 10 %, 1 fine-tuning epoch), of 6 width-4 models each on the synthetic IDX dataset
// in `data` (60 members, 40 reference points), LiRA and RMIA on 2 targets, 2 jobs x 1 thread.
struct TinyExperiment {
  int64_t epochs = 1;
  std::string name = "tiny";
  std::string model = "cnn";  // resnet18 wants side-16 images (write_synthetic_idx_dataset)
  std::string top_keys;       // more top-level lines, e.g. "device = \"cuda\"\n"
  std::string tables;         // more tables after the rows: [executor], [cwrf], [[analysis]]
};
std::string tiny_experiment_toml(const std::filesystem::path& data, const TinyExperiment& tiny = {});

// A small 3-channel 16x16, 5-class spec of `name` (cnn width 8, resnet18 width 4, vit width 32,
// depth 2, 4 heads, MLP 64, patch 4) with `norm`, resolved: the models the bf16 and CPU-vs-CUDA
// agreement tests run every model kind on.
models::ModelSpec small_image_spec(const std::string& name, const std::string& norm = "batch");

// Starts `cwrf run CONFIG --out OUT` as its own process group, waits until `models` model
// directories under OUT/models are complete (at most two minutes), then kills the whole group with
// SIGKILL, without warning. Returns how many were complete when it died.
int run_and_kill_after(const std::filesystem::path& config, const std::filesystem::path& out, int models);

// Where Debian's dataset-fashion-mnist puts the files; integration tests skip without it.
std::filesystem::path fashion_mnist_dir();
bool have_fashion_mnist();

}  // namespace cwrf::testing

namespace cwrf::testing {

// Writes an uncompressed IDX file of uint8 values with the given dims.
void write_idx_u8(const std::filesystem::path& path, const std::vector<int64_t>& dims, const std::vector<uint8_t>& values);

// A small learnable image dataset in IDX files (names as Fashion-MNIST's, uncompressed
// contents): `train`/`test` images of side `side`, `classes` classes; class c shows a bright
// square at a class-specific place on noise. For training tests that must run in seconds.
void write_synthetic_idx_dataset(const std::filesystem::path& dir, int64_t train, int64_t test, int64_t side,
                                 int64_t classes, unsigned seed = 1);

}  // namespace cwrf::testing
