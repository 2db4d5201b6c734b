#include "cwrf/common/error.h"
#include "cwrf/data/csv.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cwrf::data {
namespace {

using testing::TempDir;
using testing::write_bytes;
using Records = std::vector<std::vector<std::string>>;

Records parse(const std::string& text, int64_t expected_fields = -1, std::vector<int64_t>* lines = nullptr) {
  Records records;
  parse_csv(
      text, "mem.csv",
      [&](std::vector<std::string>& fields, int64_t line) {
        records.push_back(fields);
        if (lines != nullptr) lines->push_back(line);
      },
      expected_fields);
  return records;
}

// The Error message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text, int64_t expected_fields = -1) {
  try {
    parse(text, expected_fields);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Csv, PlainFieldsAndEmptyFields) {
  EXPECT_EQ(parse("a,b,c\n1,,3\n,,\n"), (Records{{"a", "b", "c"}, {"1", "", "3"}, {"", "", ""}}));
  EXPECT_EQ(parse("x,\n"), (Records{{"x", ""}}));
  EXPECT_EQ(parse(""), Records{});
}

TEST(Csv, QuotedCommasDoubledQuotesAndNewlines) {
  std::vector<int64_t> lines;
  const Records r = parse("1,\"a, b\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",\"\"\n3,\"crlf\r\ninside\",x\n", -1, &lines);
  EXPECT_EQ(r, (Records{{"1", "a, b", "say \"hi\""}, {"2", "two\nlines", ""}, {"3", "crlf\r\ninside", "x"}}));
  // Record start lines count the newlines inside quotes.
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 4}));
}

TEST(Csv, CrlfLineEndsAndALastLineWithoutNewline) {
  EXPECT_EQ(parse("a,b\r\nc,d\r\ne,f"), (Records{{"a", "b"}, {"c", "d"}, {"e", "f"}}));
  EXPECT_EQ(parse("a,\"b\"\r\n\"c\",d"), (Records{{"a", "b"}, {"c", "d"}}));
  // A lone CR is data.
  EXPECT_EQ(parse("a\rb,c\n"), (Records{{"a\rb", "c"}}));
}

TEST(Csv, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(parse("\xEF\xBB\xBF" "label,text\n1,x\n"), (Records{{"label", "text"}, {"1", "x"}}));
  EXPECT_EQ(parse("\xEF\xBB\xBF\"q\",x\n"), (Records{{"q", "x"}}));
}

TEST(Csv, BlankLinesAreSkippedButCountForLineNumbers) {
  std::vector<int64_t> lines;
  EXPECT_EQ(parse("a,b\n\n\r\nc,d\n\n", -1, &lines), (Records{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(parse("\"\"\n"), (Records{{""}}));  // one empty field, written explicitly
}

TEST(Csv, UnterminatedQuoteNamesTheRecordLine) {
  const std::string e = error_of("a,b\nc,\"open\nstill open\n");
  EXPECT_NE(e.find("mem.csv:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("unterminated"), std::string::npos) << e;
}

TEST(Csv, QuoteInsideAnUnquotedField) {
  const std::string e = error_of("a,b\nc,d\"e\n");
  EXPECT_NE(e.find("mem.csv:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("quote inside unquoted field 2"), std::string::npos) << e;
  EXPECT_NE(error_of(" \"x\",y\n").find("mem.csv:1:"), std::string::npos);  // a space before the quote
}

TEST(Csv, GarbageAfterAClosingQuote) {
  const std::string e = error_of("1,2\n\"x\ny\",\"abc\"x\n");
  EXPECT_NE(e.find("mem.csv:2:"), std::string::npos) << e;  // the record starts on line 2
  EXPECT_NE(e.find("'x' after the closing quote of field 2"), std::string::npos) << e;
  EXPECT_NE(error_of("\"a\" ,b\n").find("mem.csv:1:"), std::string::npos);
}

TEST(Csv, WrongFieldCountWhenFixed) {
  const std::string e = error_of("1,2,3\n4,5\n", 3);
  EXPECT_NE(e.find("mem.csv:2: 2 fields, expected 3"), std::string::npos) << e;
  EXPECT_NE(error_of("1,2,3,4\n", 3).find("4 fields, expected 3"), std::string::npos);
  EXPECT_EQ(error_of("1,2,3\n4,5\n"), "");  // any count when not fixed
}

TEST(Csv, ReadsAFileAndNamesItInErrors) {
  TempDir dir;
  write_bytes(dir / "ok.csv", "\xEF\xBB\xBF" "1,\"a,b\"\r\n2,c");
  EXPECT_EQ(read_csv(dir / "ok.csv", 2), (Records{{"1", "a,b"}, {"2", "c"}}));
  write_bytes(dir / "bad.csv", "1,x\n2,\"y\n");
  try {
    read_csv(dir / "bad.csv");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "bad.csv").string() + ":2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_csv(dir / "missing.csv"), Error);
}

TEST(Csv, ManyRecordsRoundTrip) {
  // A generated file mixing every feature; each record is checked field by field.
  std::string text;
  Records expected;
  for (int i = 0; i < 2000; ++i) {
    std::string a = std::to_string(i);
    std::string b = i % 3 == 0 ? "with, comma" : i % 3 == 1 ? "with \"quote\"" : "multi\nline";
    text += a + ",\"";
    for (char c : b) text += c == '"' ? std::string("\"\"") : std::string(1, c);
    text += i % 2 ? "\"\r\n" : "\"\n";
    expected.push_back({a, b});
  }
  EXPECT_EQ(parse(text, 2), expected);
}

}  // namespace
}  // namespace cwrf::data
