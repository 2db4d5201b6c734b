// Shared helpers for the test suites.
#pragma once

#include <filesystem>
#include <string>

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

// Where Debian's dataset-fashion-mnist puts the files; integration tests skip without it.
std::filesystem::path fashion_mnist_dir();
bool have_fashion_mnist();

}  // namespace cwrf::testing
