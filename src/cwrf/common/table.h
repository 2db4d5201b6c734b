// A small results table written three ways: CSV (for spreadsheets and pandas), markdown
// (for people), JSON (for programs). Cells are JSON values; numbers keep full precision in
// CSV/JSON and are rounded only in markdown.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;
  int markdown_digits = 4;  // significant decimals for floating-point cells in markdown

  void add_row(std::vector<nlohmann::json> row);  // throws std::logic_error on a width mismatch
  std::string to_csv() const;
  std::string to_markdown() const;
  nlohmann::json to_json() const;  // [{column: value, ...}, ...]
  // <stem>.csv, <stem>.md and <stem>.json, atomically.
  void write(const std::filesystem::path& stem) const;
};

}  // namespace cwrf
