// An RFC 4180 CSV reader, for the text datasets' files (DBpedia-14's train.csv is 560,000
// records, ~170 MB, so the whole file is read at once and scanned with memchr, not per char).
//
// Accepted: fields separated by commas; records ended by LF or CRLF (the last one may lack
// it); a field in double quotes may hold commas, LF/CRLF and doubled quotes ("" = one ");
// a UTF-8 byte-order mark at the start is skipped. Field bytes are kept as they are (no
// trimming, no decoding; a newline inside quotes keeps its CR if it had one). A line with
// nothing on it is skipped, as pandas does, so a trailing blank line is harmless; a record
// of one empty field must therefore be written as "".
//
// Rejected, with an Error "<file>:<line>: ..." giving the line where the record starts:
// a quote that is never closed, a quote inside an unquoted field (a"b), anything but a
// comma or a line end after a closing quote ("abc"x), and, when the caller asks for a
// fixed number of fields, a record with another count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cwrf::data {

// Called once per record with its fields and the 1-based line where it starts. The vector
// is reused between calls (moving its strings out is allowed).
using CsvRecordFn = std::function<void(std::vector<std::string>& fields, int64_t line)>;

// Parses `text`; `source` names it in errors (a path, usually). expected_fields < 0 accepts
// any count per record.
void parse_csv(std::string_view text, const std::string& source, const CsvRecordFn& on_record,
               int64_t expected_fields = -1);

// Reads and parses a whole file; Error names the path if it is missing or unreadable.
void for_each_csv_record(const std::filesystem::path& file, const CsvRecordFn& on_record,
                         int64_t expected_fields = -1);

// All records of a file.
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file, int64_t expected_fields = -1);

}  // namespace cwrf::data
