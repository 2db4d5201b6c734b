#include "cwrf/data/tokenizer.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <unordered_set>

namespace cwrf::data {

namespace {

constexpr const char* kFormatName = "cwrf-vocabulary";

// Token bytes (see tokenizer.h) and their normalised form.
struct ByteTables {
  std::array<bool, 256> word{};
  std::array<char, 256> lower{};
};

constexpr ByteTables make_tables() {
  ByteTables t{};
  for (int b = 0; b < 256; ++b) {
    const bool upper = b >= 'A' && b <= 'Z';
    t.word[b] = (b >= 'a' && b <= 'z') || upper || (b >= '0' && b <= '9') || b >= 0x80;
    t.lower[b] = static_cast<char>(upper ? b - 'A' + 'a' : b);
  }
  return t;
}
constexpr ByteTables kTables = make_tables();

// Calls on_token(buffer) with each normalised token (the buffer is reused); stops early when
// on_token returns false.
template <typename F>
void for_each_token(std::string_view text, std::string& buffer, F&& on_token) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    while (p < end && !kTables.word[*p]) ++p;
    if (p == end) return;
    buffer.clear();
    while (p < end && kTables.word[*p]) buffer.push_back(kTables.lower[*p++]);
    if (!on_token(buffer)) return;
  }
}

bool is_normalised_token(const std::string& word) {
  if (word.empty()) return false;
  for (char c : word) {
    const auto b = static_cast<unsigned char>(c);
    if (!kTables.word[b] || kTables.lower[b] != c) return false;
  }
  return true;
}

using Counts = std::unordered_map<std::string, int64_t>;

}  // namespace

const std::string Vocabulary::kPadWord = "<pad>";
const std::string Vocabulary::kUnkWord = "<unk>";

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string buffer;
  for_each_token(text, buffer, [&](const std::string& token) {
    tokens.push_back(token);
    return true;
  });
  return tokens;
}

int64_t count_tokens(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  int64_t count = 0;
  bool in_token = false;
  for (; p < end; ++p) {
    const bool word = kTables.word[*p];
    count += word && !in_token;
    in_token = word;
  }
  return count;
}

Vocabulary::Vocabulary() : Vocabulary({kPadWord, kUnkWord}, 2, 1) {}

Vocabulary::Vocabulary(std::vector<std::string> words, int64_t max_size, int64_t min_count)
    : words_(std::move(words)), max_size_(max_size), min_count_(min_count) {
  ids_.reserve(words_.size());
  for (size_t i = 0; i < words_.size(); ++i) ids_.emplace(words_[i], static_cast<int64_t>(i));
}

Vocabulary Vocabulary::build(const std::vector<std::string>& texts, int64_t max_size, int64_t min_count) {
  if (max_size < 2) throw Error(fmt::format("vocabulary max_size {} is below 2 (the <pad> and <unk> specials)", max_size));
  if (min_count < 1) throw Error(fmt::format("vocabulary min_count {} is below 1", min_count));

  // Counting in fixed chunks, merged in chunk order: the result does not depend on threads.
  const auto n = static_cast<int64_t>(texts.size());
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), n / 1024));
  std::vector<Counts> counts(static_cast<size_t>(chunks));
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::string buffer;
    for (int64_t c = begin; c < end; ++c) {
      Counts& local = counts[c];
      for (int64_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i)
        for_each_token(texts[i], buffer, [&](const std::string& token) {
          ++local[token];
          return true;
        });
    }
  });
  Counts& total = counts[0];
  for (size_t c = 1; c < counts.size(); ++c) {
    for (auto& [word, count] : counts[c]) total[word] += count;
    Counts().swap(counts[c]);
  }

  std::vector<std::pair<int64_t, const std::string*>> ranked;
  for (const auto& [word, count] : total)
    if (count >= min_count) ranked.emplace_back(count, &word);
  const auto keep = std::min<size_t>(ranked.size(), static_cast<size_t>(max_size - 2));
  const auto before = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : *a.second < *b.second; };
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(), before);

  std::vector<std::string> words{kPadWord, kUnkWord};
  words.reserve(keep + 2);
  for (size_t i = 0; i < keep; ++i) words.push_back(*ranked[i].second);
  return Vocabulary(std::move(words), max_size, min_count);
}

int64_t Vocabulary::id(const std::string& word) const {
  const auto it = ids_.find(word);
  return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocabulary::word(int64_t id) const {
  if (id < 0 || id >= size()) throw Error(fmt::format("token id {} is outside the vocabulary [0, {})", id, size()));
  return words_[static_cast<size_t>(id)];
}

torch::Tensor Vocabulary::encode(const std::vector<std::string>& texts, int64_t seq_len) const {
  if (seq_len < 1) throw Error(fmt::format("sequence length {} is below 1", seq_len));
  const auto n = static_cast<int64_t>(texts.size());
  torch::Tensor out = torch::full({n, seq_len}, kPad, torch::kInt64);
  int64_t* const data = out.data_ptr<int64_t>();
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    std::string buffer;
    for (int64_t i = begin; i < end; ++i) {
      int64_t* row = data + i * seq_len;
      int64_t used = 0;
      for_each_token(texts[i], buffer, [&](const std::string& token) {
        const auto it = ids_.find(token);
        row[used++] = it == ids_.end() ? kUnk : it->second;
        return used < seq_len;  // truncation: the first seq_len tokens
      });
    }
  });
  return out;
}

nlohmann::json Vocabulary::to_json() const {
  return {{"format", kFormatName},
          {"version", kFormatVersion},
          {"max_size", max_size_},
          {"min_count", min_count_},
          {"words", words_}};
}

Vocabulary Vocabulary::from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw Error("vocabulary: expected a JSON object");
  auto field = [&](const char* key) -> const nlohmann::json& {
    const auto it = json.find(key);
    if (it == json.end()) throw Error(fmt::format("vocabulary: missing key \"{}\"", key));
    return *it;
  };
  const auto& format = field("format");
  if (!format.is_string() || format.get<std::string>() != kFormatName)
    throw Error(fmt::format("vocabulary: \"format\" is {}, expected \"{}\"", format.dump(), kFormatName));
  const auto& version = field("version");
  if (!version.is_number_integer() || version.get<int64_t>() != kFormatVersion)
    throw Error(fmt::format("vocabulary: \"version\" is {}, this build reads version {}", version.dump(),
                            kFormatVersion));
  auto integer = [&](const char* key, int64_t minimum) {
    const auto& v = field(key);
    if (!v.is_number_integer() || v.get<int64_t>() < minimum)
      throw Error(fmt::format("vocabulary: \"{}\" is {}, expected an integer >= {}", key, v.dump(), minimum));
    return v.get<int64_t>();
  };
  const int64_t max_size = integer("max_size", 2);
  const int64_t min_count = integer("min_count", 1);
  const auto& list = field("words");
  if (!list.is_array()) throw Error("vocabulary: \"words\" is not an array");

  std::vector<std::string> words;
  words.reserve(list.size());
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) throw Error(fmt::format("vocabulary: word {} is {}, expected a string", i, list[i].dump()));
    std::string w = list[i].get<std::string>();
    if (i == 0 && w != kPadWord) throw Error(fmt::format("vocabulary: id 0 is \"{}\", expected \"{}\"", w, kPadWord));
    if (i == 1 && w != kUnkWord) throw Error(fmt::format("vocabulary: id 1 is \"{}\", expected \"{}\"", w, kUnkWord));
    if (i >= 2 && !is_normalised_token(w))
      throw Error(fmt::format("vocabulary: word {} \"{}\" is not a normalised token (lower-case [a-z0-9] or bytes >= "
                              "0x80)",
                              i, w));
    if (!seen.insert(w).second) throw Error(fmt::format("vocabulary: word {} \"{}\" is a duplicate", i, w));
    words.push_back(std::move(w));
  }
  if (words.size() < 2)
    throw Error(fmt::format("vocabulary: {} words, expected at least the specials {} and {}", words.size(), kPadWord,
                            kUnkWord));
  if (static_cast<int64_t>(words.size()) > max_size)
    throw Error(fmt::format("vocabulary: {} words exceed its max_size {}", words.size(), max_size));
  return Vocabulary(std::move(words), max_size, min_count);
}

void Vocabulary::save(const std::filesystem::path& path) const { write_file_atomic(path, to_json().dump(1) + "\n"); }

Vocabulary Vocabulary::load(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(fmt::format("{}: invalid JSON (expected a saved vocabulary)", path.string()));
  try {
    return from_json(json);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path.string(), e.what()));
  }
}

std::string Vocabulary::fingerprint() const {
  Hasher hasher;
  hasher.update(fmt::format("{} v{}\n", kFormatName, kFormatVersion));
  for (const auto& w : words_) hasher.update(w).update(std::string_view("\0", 1));
  return hasher.digest();
}

}  // namespace cwrf::data
