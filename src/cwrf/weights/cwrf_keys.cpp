#include "cwrf/weights/cwrf_keys.h"

#include "cwrf/common/seed.h"

namespace cwrf::weights {

using config::Type;

std::vector<config::Option> cwrf_keys() {
  return {
      {"cwrf.mode", Type::String, "cwrf",
       "cwrf (A3: rewind top-r, fine-tune the rest), remove (A1: zero top-r, fine-tune the rest), "
       "rewind-only (A2: rewind top-r, fine-tune only them), lottery (M2: zero the lowest r, rewind and retrain the rest)",
       {"cwrf", "remove", "rewind-only", "lottery"}},
      {"cwrf.scope", Type::String, "all",
       "the tensors selection may pick: all (every trainable one, the paper's CWRF) or weights (conv / linear / attention "
       "/ MLP / embedding weights: no normalisation parameters, no biases; r is then a fraction of those)",
       {"all", "weights"}},
      {"cwrf.score", Type::String, "pve", "weight scores: pve (privacy vulnerability, Eq. 3-4) or tfo (learnability, Eq. 2)", {"pve", "tfo"}},
      {"cwrf.rate", Type::Float, 0.05, "r, the fraction of weights selected (paper: grid search in [0.01, 0.10])", {}, true, config::closed(0, 1)},
      {"cwrf.iterations", Type::Int, 30, "T, scoring iterations (paper: 30)", {}, true, config::at_least(1)},
      {"cwrf.batch_size", Type::Int, 256, "B, scoring batch size for members and for reference points (paper: 256)", {}, true, config::at_least(1)},
      {"cwrf.lambda", Type::Float, nullptr, "λ of Eq. 4 (default 0.7; 0.9 with 100 classes, as the paper for CIFAR-100)", {}, true, config::closed(0, 1)},
      {"cwrf.score_lr", Type::Float, 1e-3, "η_e, the SGD step of the scoring copy (not given in the paper)", {}, true, config::at_least(0)},
      {"cwrf.kl_reduction", Type::String, "batchmean", "KL of Eq. 4 per sample (batchmean) or over B·C (mean)", {"batchmean", "mean"}},
      {"cwrf.epochs", Type::Int, 40, "E, fine-tuning epochs (paper: 40), with the learning rate rewound to lr", {}, true, config::at_least(0)},
  };
}

double default_lambda(int64_t num_classes) { return num_classes >= 100 ? 0.9 : 0.7; }

ScoreOptions score_options(const config::Config& c) {
  ScoreOptions o;
  o.method = parse_score_method(c.get_string("cwrf.score"));
  o.iterations = c.get_int("cwrf.iterations");
  o.batch_size = c.get_int("cwrf.batch_size");
  o.lambda = c.get_float("cwrf.lambda");
  o.lr = c.get_float("cwrf.score_lr");
  o.kl_reduction = c.get_string("cwrf.kl_reduction");
  o.seed = derive_seed(static_cast<uint64_t>(c.get_int("seed")), SeedDomain::kObjective, 0x5c0e);
  o.channels_last = c.get_string("channels_last") == "on";
  return o;
}

}  // namespace cwrf::weights
