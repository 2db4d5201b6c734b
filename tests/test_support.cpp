#include "test_support.h"

#include "cwrf/job/keys.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/models/registry.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

namespace cwrf::testing {

config::Config job_config(std::initializer_list<std::pair<const char*, config::Json>> keys) {
  config::Config c(job::schema());
  for (const auto& [key, value] : keys) c.set(key, value);
  return c;
}

config::Config tiny_idx_config(const std::filesystem::path& data,
                               std::initializer_list<std::pair<const char*, config::Json>> keys) {
  config::Config c = job_config({{"data.name", "idx"},
                                 {"data.path", data.string()},
                                 {"epochs", 2},
                                 {"batch_size", 32},
                                 {"model.width", 4},
                                 {"threads", 1}});
  for (const auto& [key, value] : keys) c.set(key, value);
  return c;
}

std::string tiny_experiment_toml(const std::filesystem::path& data, const TinyExperiment& tiny) {
  return fmt::format(R"(epochs = {}
batch_size = 32
{}[data]
name = "idx"
path = "{}"
train_size = 60
ref_size = 40
[model]
name = "{}"
width = 4
[experiment]
name = "{}"
models = 6
jobs = 2
threads = 2
[attack]
targets = 2
attacks = ["lira", "rmia"]
bootstrap = 10
[[row]]
name = "No Defense"
defense = "ce"
[[row]]
name = "CE + CWRF"
cwrf = {{ rate = 0.1, epochs = 1, iterations = 2, batch_size = 32 }}
{})",
                     tiny.epochs, tiny.top_keys, data.string(), tiny.model, tiny.name, tiny.tables);
}

models::ModelSpec small_image_spec(const std::string& name, const std::string& norm) {
  models::ModelSpec spec;
  spec.name = name;
  spec.norm = norm;
  spec.in_channels = 3;
  spec.image_size = 16;
  spec.num_classes = 5;
  if (name == "cnn") spec.width = 8;
  if (name == "resnet18") spec.width = 4;
  if (name == "vit") {
    spec.width = 32;
    spec.depth = 2;
    spec.heads = 4;
    spec.mlp_dim = 64;
    spec.patch = 4;
  }
  return models::resolve(spec);
}

Invocation run_cwrf(const std::string& args, Streams streams) {
  Invocation r;
  const std::string redirect = streams == Streams::StdoutOnly ? " 2>/dev/null" : " 2>&1";
  FILE* pipe = ::popen((std::string(CWRF_BINARY) + " " + args + redirect).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("cwrf-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write fixture " + path.string());
}

std::filesystem::path fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

int run_and_kill_after(const std::filesystem::path& config, const std::filesystem::path& out, int models) {
  namespace fs = std::filesystem;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl(CWRF_BINARY, CWRF_BINARY, "run", config.c_str(), "--out", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto complete_models = [&] {
    int n = 0;
    std::error_code ec;
    if (fs::exists(out / "models"))
      for (const auto& entry : fs::directory_iterator(out / "models", ec)) n += job::is_complete_model_dir(entry.path());
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (complete_models() < models && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(-pid, SIGKILL);  // the whole process group, children included
  int status = 0;
  ::waitpid(pid, &status, 0);
  return complete_models();
}

bool have_fashion_mnist() {
  return std::filesystem::exists(fashion_mnist_dir() / "train-images-idx3-ubyte.gz");
}

}  // namespace cwrf::testing

namespace cwrf::testing {

void write_idx_u8(const std::filesystem::path& path, const std::vector<int64_t>& dims, const std::vector<uint8_t>& values) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (int64_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size());
  write_bytes(path, bytes);
}

void write_synthetic_idx_dataset(const std::filesystem::path& dir, int64_t train, int64_t test, int64_t side,
                                 int64_t classes, unsigned seed) {
  std::mt19937 rng(seed);
  auto make = [&](int64_t n, const std::string& images, const std::string& labels) {
    std::vector<uint8_t> pixels(n * side * side), ys(n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = static_cast<int64_t>(rng() % classes);
      ys[i] = static_cast<uint8_t>(c);
      for (int64_t p = 0; p < side * side; ++p) pixels[i * side * side + p] = static_cast<uint8_t>(rng() % 96);
      const int64_t r0 = (c * 3) % (side - 2), c0 = (c * 5) % (side - 2);
      for (int64_t r = r0; r < r0 + 3; ++r)
        for (int64_t col = c0; col < c0 + 3; ++col) pixels[i * side * side + r * side + col] = 255;
    }
    write_idx_u8(dir / images, {n, side, side}, pixels);
    write_idx_u8(dir / labels, {n}, ys);
  };
  make(train, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  make(test, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
}

}  // namespace cwrf::testing
