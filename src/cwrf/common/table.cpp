#include "cwrf/common/table.h"

#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <stdexcept>

namespace cwrf {

namespace {

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  return v.dump();
}

std::string markdown_cell(const nlohmann::json& v, int digits) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return "n/a";
    return fmt::format("{:.{}f}", d, digits);
  }
  return v.dump();
}

}  // namespace

void Table::add_row(std::vector<nlohmann::json> row) {
  if (row.size() != columns.size())
    throw std::logic_error(fmt::format("table row has {} cells, the table {} columns", row.size(), columns.size()));
  rows.push_back(std::move(row));
}

std::string Table::to_csv() const {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_cell(columns[i]);
  out += "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_cell(row[i]);
    out += "\n";
  }
  return out;
}

std::string Table::to_markdown() const {
  std::string out = "|";
  for (const auto& c : columns) out += " " + c + " |";
  out += "\n|";
  for (size_t i = 0; i < columns.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (const auto& v : row) out += " " + markdown_cell(v, markdown_digits) + " |";
    out += "\n";
  }
  return out;
}

nlohmann::json Table::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t i = 0; i < row.size(); ++i) o[columns[i]] = row[i];
    out.push_back(o);
  }
  return out;
}

void Table::write(const std::filesystem::path& stem) const {
  auto with = [&](const char* ext) {
    std::filesystem::path p = stem;
    p += ext;
    return p;
  };
  write_file_atomic(with(".csv"), to_csv());
  write_file_atomic(with(".md"), to_markdown());
  write_file_atomic(with(".json"), to_json().dump(2) + "\n");
}

}  // namespace cwrf
