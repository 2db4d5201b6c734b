#include "test_support.h"

#include <fstream>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace cwrf::testing {

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

bool have_fashion_mnist() {
  return std::filesystem::exists(fashion_mnist_dir() / "train-images-idx3-ubyte.gz");
}

}  // namespace cwrf::testing
