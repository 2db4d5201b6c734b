// Loading a dataset by name: the official train and test parts, as uint8 images.
#pragma once

#include "cwrf/data/dataset.h"

#include <string>
#include <vector>

namespace cwrf::data {

struct DataOptions {
  std::string name = "fashion-mnist";  // images: fashion-mnist | idx | cifar10 | cifar100 | cinic10;
                                       // text: spam-assassin | dbpedia14 | text-csv
  std::string path;                    // directory holding the files; empty = the dataset's default
  // IDX file names inside `path` (used by fashion-mnist and idx; gzip or raw, detected by content).
  std::string train_images = "train-images-idx3-ubyte.gz";
  std::string train_labels = "train-labels-idx1-ubyte.gz";
  std::string test_images = "t10k-images-idx3-ubyte.gz";
  std::string test_labels = "t10k-labels-idx1-ubyte.gz";
  std::string cifar100_labels = "fine";  // fine (100 classes) | coarse (20 superclasses)
  std::string cinic_valid = "ignore";    // CINIC-10's valid/ part: ignore | train (appended to the training file)
  // Text: label,text CSV file names inside `path` (text-csv), its header line, SpamAssassin's
  // test share (it has no official split), and tokenisation (data/tokenizer.h).
  std::string train_csv = "train.csv";
  std::string test_csv = "test.csv";
  bool csv_header = false;
  double test_fraction = 0.2;  // split by a fixed hash (seed 0): part of the dataset, not of a run
  int64_t seq_len = 0;       // tokens per example (0: the dataset's default, text_default_seq_len)
  int64_t vocab_size = 20000;  // vocabulary cap, the two special tokens included
  int64_t min_count = 2;     // words seen fewer times in the training part are unknown
};

// Throws Error naming the file for a missing, truncated or malformed file, and naming the
// option for an unknown dataset name or label kind.
TrainTest load_dataset(const DataOptions& options);

std::vector<std::string> dataset_names();
// Tokens per example when data.seq_len is 0: spam-assassin 256 (its median message has ~200
// words), dbpedia14 and text-csv 128 (a DBpedia title + abstract is ~50-60 words).
int64_t text_default_seq_len(const std::string& name);
// e.g. /usr/share/datasets/fashion-mnist; spam-assassin: $CWRF_SPAM_ASSASSIN, else where
// scripts/setup.sh installs the npm package (.deps/npm/... in the source tree).
std::string default_data_path(const std::string& name);

}  // namespace cwrf::data
