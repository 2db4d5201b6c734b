#include "cwrf/attack/settings.h"

#include "cwrf/attack/family.h"
#include "cwrf/common/error.h"

#include <fmt/format.h>

namespace cwrf::attack {

namespace {

using config::Type;

config::Schema build_schema() {
  std::vector<std::string> names, defaults;
  for (const AttackFamily& f : attack_families()) {
    names.push_back(f.name);
    if (f.default_on) defaults.push_back(f.name);
  }
  std::vector<config::Option> options = {
      {"attack.attacks", Type::StringList, defaults, "attack families to run", names},
      {"attack.targets", Type::Int, 0,
       "attack the first N models, each with the others as shadows (leave-one-out; 0: every model)", {}, true,
       config::at_least(0)},
      {"attack.queries", Type::StringList, config::Json::array(),
       "identity, mirror, shift:DX:DY, mirror+shift:DX:DY (zero fill; :reflect appended: reflection padding), rmia18 "
       "(the RMIA research code's 18: image and mirror, shifts in {-1,0,1}^2, reflected); empty: identity,mirror for "
       "images, identity for text",
       {}, true, {},
       [](const config::Json& value) -> std::string {
         try {
           if (!value.empty()) parse_queries(value.get<std::vector<std::string>>());
         } catch (const Error& e) {
           return fmt::format("is invalid: {}", e.what());
         }
         return "";
       }},
      {"attack.fpr", Type::FloatList, std::vector<double>{1e-2, 1e-3, 1e-5}, "FPR levels for TPR@FPR (FPR <= level)",
       {}, true, config::open(0, 1)},
      {"attack.bootstrap", Type::Int, 200, "bootstrap replicates for the TPR intervals (0: none)", {}, true,
       config::at_least(0)},
      {"attack.confidence", Type::Float, 0.95, "level of the bootstrap intervals", {}, true, config::open(0, 1)},
      {"attack.seed", Type::Int, 0, "seed of population subsets and bootstrap"},
      {"attack.batch_size", Type::Int, train::kInferenceBatchSize, "inference batch size of the signals", {}, false,
       config::at_least(1)},
      {"attack.epsilon_confidence", Type::Float, 0.95,
       "empirical epsilon: joint confidence of each threshold's Clopper-Pearson bounds", {}, true, config::open(0, 1)},
      {"attack.epsilon_delta", Type::Float, 1e-5,
       "empirical epsilon: the delta of the (epsilon, delta) it bounds (DP-SGD's default dp.delta)", {}, true,
       config::half_open(0, 1)},
      {"attack.vulnerable_top", Type::Int, 100,
       "vulnerable.csv: the N examples most exposed to the strongest attack (0: none)", {}, true, config::at_least(0)},
      {"attack.vulnerable_grid", Type::Int, 32, "vulnerable.png: the first N of them as images (image data; 0: none)",
       {}, true, config::at_least(0)},
      {"attack.vulnerable_fpr", Type::Float, 1e-3,
       "vulnerable.*: the strongest attack is the one with the highest mean TPR at this FPR", {}, true,
       config::open(0, 1)},
  };
  for (const AttackFamily& f : attack_families())
    for (const config::Option& o : f.settings) options.push_back(o);
  config::Schema schema;
  for (config::Option& o : options) {
    o.flag = setting_flag(o.key);
    schema.add(o);
  }
  return schema;
}

}  // namespace

std::string setting_flag(const std::string& key) {
  std::string name = key.rfind("attack.", 0) == 0 ? key.substr(7) : key;
  for (char& c : name)
    if (c == '_') c = '-';
  return "--" + name;
}

const config::Schema& attack_schema() {
  static const config::Schema schema = build_schema();
  return schema;
}

void check_attack_settings(const config::Config& settings) {
  const std::vector<std::string> selected = settings.get_strings("attack.attacks");
  require(!selected.empty(), fmt::format("{} selects no attack", settings.label("attack.attacks")));
  for (const std::string& name : selected) {
    const AttackFamily& family = find_family(name);
    if (!family.variants(settings).empty()) continue;
    std::string keys;
    for (const config::Option& o : family.settings)
      if (o.type == Type::StringList) keys += (keys.empty() ? "" : ", ") + settings.label(o.key);
    throw Error(fmt::format("attack '{}' is selected but its settings select no variant ({})", name, keys));
  }
}

std::vector<std::string> resolved_queries(const config::Config& settings, const std::string& model_name) {
  std::vector<std::string> names = settings.get_strings("attack.queries");
  if (names.empty()) return default_queries(model_name);
  names = expand_query_presets(names);
  const std::string problem = query_domain_problem(parse_queries(names), model_name);
  require(problem.empty(), fmt::format("{}: {}", settings.label("attack.queries"), problem));
  return names;
}

RocOptions roc_options(const config::Config& settings) {
  RocOptions o;
  o.fpr_levels = settings.get_floats("attack.fpr");
  o.bootstrap = settings.get_int("attack.bootstrap");
  o.confidence = settings.get_float("attack.confidence");
  return o;
}

}  // namespace cwrf::attack
