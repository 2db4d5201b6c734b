#include "cwrf/train/objectives/defense_keys.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

namespace cwrf::train {

double resolve_float(config::Config& config, const std::string& key, const std::vector<Preset>& presets,
                     double fallback) {
  if (config.has(key)) return config.get_float(key);
  const std::string dataset = config.get_string("data.name");
  const std::string model = config.get_string("model.name");
  double value = fallback;
  for (const auto& p : presets)
    if ((p.dataset.empty() || p.dataset == dataset) && (p.model.empty() || p.model == model)) {
      value = p.value;
      break;
    }
  config.set(key, value);
  return value;
}

int64_t resolve_int(config::Config& config, const std::string& key, int64_t fallback) {
  if (config.has(key)) return config.get_int(key);
  config.set(key, fallback);
  return fallback;
}

std::string resolve_string(config::Config& config, const std::string& key, const std::string& fallback) {
  if (config.has(key)) return config.get_string(key);
  config.set(key, fallback);
  return fallback;
}

void require_at_least(const std::string& key, double value, double min) {
  if (!(value >= min)) throw Error(fmt::format("config key '{}' must be >= {}, got {}", key, min, value));
}

void require_above(const std::string& key, double value, double min) {
  if (!(value > min)) throw Error(fmt::format("config key '{}' must be > {}, got {}", key, min, value));
}

void require_in_closed(const std::string& key, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi))
    throw Error(fmt::format("config key '{}' must be in [{}, {}], got {}", key, lo, hi, value));
}

void require_in_half_open(const std::string& key, double value, double lo, double hi) {
  if (!(value > lo && value <= hi))
    throw Error(fmt::format("config key '{}' must be in ({}, {}], got {}", key, lo, hi, value));
}

config::Option defense_alpha_option() {
  return {"defense.alpha", config::Type::Float, nullptr,
          "relaxloss: target mean CE level; hamp: entropy-regularisation weight; ccl: weight of the CE (convex) "
          "term, in [0, 1] (default: the dataset's preset, docs/defenses.md)"};
}

}  // namespace cwrf::train
