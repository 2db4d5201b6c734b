#include "cwrf/data/csv.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace cwrf::data {

namespace {

// Bytes that end an unquoted field's fast scan.
constexpr std::array<bool, 256> special_bytes() {
  std::array<bool, 256> table{};
  table[static_cast<unsigned char>(',')] = true;
  table[static_cast<unsigned char>('\n')] = true;
  table[static_cast<unsigned char>('\r')] = true;
  table[static_cast<unsigned char>('"')] = true;
  return table;
}
constexpr std::array<bool, 256> kSpecial = special_bytes();

// Shows an offending byte readably in a message.
std::string show_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

}  // namespace

void parse_csv(std::string_view text, const std::string& source, const CsvRecordFn& on_record,
               int64_t expected_fields) {
  const char* p = text.data();
  const char* const end = p + text.size();
  if (text.size() >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;  // UTF-8 BOM (Excel writes one)

  int64_t line = 1;  // physical line of p
  std::vector<std::string> fields;
  while (p < end) {
    // Blank lines between records are skipped (see the header).
    if (*p == '\n') {
      ++p;
      ++line;
      continue;
    }
    if (*p == '\r' && p + 1 < end && p[1] == '\n') {
      p += 2;
      ++line;
      continue;
    }

    const int64_t record_line = line;
    size_t count = 0;
    bool record_done = false;
    while (!record_done) {
      if (count < fields.size()) {
        fields[count].clear();
      } else {
        fields.emplace_back();
      }
      std::string& field = fields[count++];

      if (p < end && *p == '"') {
        ++p;
        for (;;) {
          const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
          if (q == nullptr)
            throw Error(fmt::format("{}:{}: unterminated quoted field {} (the closing quote is missing before the end of "
                                    "the file)",
                                    source, record_line, count));
          field.append(p, q);
          line += std::count(p, q, '\n');
          p = q + 1;
          if (p < end && *p == '"') {  // "" inside quotes is one quote
            field.push_back('"');
            ++p;
            continue;
          }
          break;
        }
        // After the closing quote only a separator or a line end may follow.
        if (p == end) {
          record_done = true;
        } else if (*p == ',') {
          ++p;
        } else if (*p == '\n') {
          ++p;
          ++line;
          record_done = true;
        } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
          p += 2;
          ++line;
          record_done = true;
        } else {
          throw Error(fmt::format("{}:{}: {} after the closing quote of field {} (expected a comma or a line end; a "
                                  "quote inside a quoted field must be doubled)",
                                  source, record_line, show_byte(*p), count));
        }
      } else {
        const char* q = p;
        for (;;) {
          while (q < end && !kSpecial[static_cast<unsigned char>(*q)]) ++q;
          // A lone CR (not part of CRLF) is data, like any other byte.
          if (q < end && *q == '\r' && !(q + 1 < end && q[1] == '\n')) {
            ++q;
            continue;
          }
          break;
        }
        field.assign(p, q);
        p = q;
        if (p == end) {
          record_done = true;
        } else if (*p == ',') {
          ++p;
        } else if (*p == '"') {
          throw Error(fmt::format("{}:{}: a quote inside unquoted field {} (a field holding quotes must be enclosed "
                                  "in quotes, with each inner quote doubled)",
                                  source, record_line, count));
        } else {  // LF or CRLF
          p += *p == '\r' ? 2 : 1;
          ++line;
          record_done = true;
        }
      }
    }
    fields.resize(count);
    if (expected_fields >= 0 && static_cast<int64_t>(count) != expected_fields)
      throw Error(fmt::format("{}:{}: {} field{}, expected {}", source, record_line, count, count == 1 ? "" : "s",
                              expected_fields));
    on_record(fields, record_line);
  }
}

void for_each_csv_record(const std::filesystem::path& file, const CsvRecordFn& on_record, int64_t expected_fields) {
  const std::string text = read_file(file);
  parse_csv(text, file.string(), on_record, expected_fields);
}

std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file, int64_t expected_fields) {
  std::vector<std::vector<std::string>> records;
  for_each_csv_record(
      file, [&](std::vector<std::string>& fields, int64_t) { records.push_back(std::move(fields)); },
      expected_fields);
  return records;
}

}  // namespace cwrf::data
