// Word-level tokenisation and vocabulary for the text datasets (token ids for a Transformer).
//
// Normalisation: ASCII letters are lower-cased; a token is a maximal run of [a-z0-9] or of
// bytes >= 0x80, which count as letters so a UTF-8 word (café, Zürich) stays one token
// (non-ASCII letters are not case-folded). Everything else (punctuation, spaces, control
// bytes) separates tokens and is dropped. Deliberately simple: the study needs a fixed,
// reproducible encoding, not the best language model, and a word vocabulary built from the
// training part alone never sees test text.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cwrf::data {

// The normalised tokens of a text, in order.
std::vector<std::string> tokenize(std::string_view text);

// How many tokens tokenize(text) would give, without building them.
int64_t count_tokens(std::string_view text);

class Vocabulary {
 public:
  static constexpr int64_t kPad = 0;  // "<pad>": fills encoded rows after the last token
  static constexpr int64_t kUnk = 1;  // "<unk>": any word not in the vocabulary
  static const std::string kPadWord;
  static const std::string kUnkWord;
  static constexpr int kFormatVersion = 1;

  // Just the two specials (every word encodes as kUnk).
  Vocabulary();

  // From training texts only: the specials, then the words seen at least min_count times by
  // descending count, ties in byte order, keeping the first max_size - 2 so that size() <=
  // max_size. Error when max_size < 2 or min_count < 1.
  static Vocabulary build(const std::vector<std::string>& texts, int64_t max_size, int64_t min_count);

  int64_t size() const { return static_cast<int64_t>(words_.size()); }
  int64_t id(const std::string& word) const;  // kUnk for a word not in the vocabulary
  const std::string& word(int64_t id) const;  // Error for an id outside [0, size())
  const std::vector<std::string>& words() const { return words_; }
  int64_t max_size() const { return max_size_; }
  int64_t min_count() const { return min_count_; }

  // int64 [N, seq_len]: each text's first seq_len token ids, right-padded with kPad.
  torch::Tensor encode(const std::vector<std::string>& texts, int64_t seq_len) const;

  // {"format": "cwrf-vocabulary", "version": 1, "max_size", "min_count", "words": [id order, specials
  // included]}. from_json validates: the specials at 0 and 1, no duplicate, every other word a
  // normalised token, size <= max_size; Errors name the problem (and the id).
  nlohmann::json to_json() const;
  static Vocabulary from_json(const nlohmann::json& json);
  void save(const std::filesystem::path& path) const;  // atomic write
  static Vocabulary load(const std::filesystem::path& path);  // Errors name the path

  // 32 hex characters: XXH3-128 of the format tag and version (which fix the normalisation) and
  // the word list in id order; equal fingerprints encode alike. For model hashes.
  std::string fingerprint() const;

 private:
  Vocabulary(std::vector<std::string> words, int64_t max_size, int64_t min_count);

  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t max_size_ = 0;
  int64_t min_count_ = 1;
};

}  // namespace cwrf::data
