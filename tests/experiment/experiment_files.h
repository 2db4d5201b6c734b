// Helpers for the tests that read experiment files: write one, and read it for its error.
#pragma once

#include "cwrf/common/error.h"
#include "cwrf/experiment/experiment.h"
#include "test_support.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::experiment::testing {

// Writes `text` as <dir>/exp.toml and returns its path.
inline std::filesystem::path write(const cwrf::testing::TempDir& dir, const std::string& text) {
  const auto path = dir / "exp.toml";
  cwrf::testing::write_bytes(path, text);
  return path;
}

// What read_experiment says of the file ("" when it reads).
inline std::string error_of(const std::filesystem::path& path, const std::vector<std::string>& set = {}) {
  try {
    read_experiment(path, set);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace cwrf::experiment::testing
