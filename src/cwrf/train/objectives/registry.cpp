#include "cwrf/train/objectives/registry.h"

#include "cwrf/common/error.h"
#include "cwrf/train/dp/dpsgd.h"
#include "cwrf/train/objectives/ccl.h"
#include "cwrf/train/objectives/cross_entropy.h"
#include "cwrf/train/objectives/hamp.h"
#include "cwrf/train/objectives/past.h"
#include "cwrf/train/objectives/relaxloss.h"

#include <fmt/format.h>

#include <set>

namespace cwrf::train {

const std::vector<ObjectiveInfo>& objective_infos() {
  // One line per objective.
  static const std::vector<ObjectiveInfo> infos = {
      cross_entropy_info(),
      relaxloss_info(),
      hamp_info(),
      ccl_info(),
      past_info(),
      dp::dpsgd_info(),
  };
  return infos;
}

std::vector<std::string> objective_names() {
  std::vector<std::string> names;
  for (const auto& info : objective_infos()) names.push_back(info.name);
  return names;
}

std::vector<config::Option> objective_options() {
  std::vector<config::Option> merged;
  std::set<std::string> seen;
  for (const auto& info : objective_infos())
    for (auto option : info.options)
      if (seen.insert(option.key).second) {
        option.default_value = nullptr;  // resolved by the objective that is used
        merged.push_back(option);
      }
  return merged;
}

namespace {

const ObjectiveInfo& find_info(const std::string& name) {
  for (const auto& info : objective_infos())
    if (info.name == name) return info;
  std::string known;
  for (const auto& info : objective_infos()) known += (known.empty() ? "" : ", ") + info.name;
  throw Error(fmt::format("unknown defense '{}'; known: {}", name, known));
}

}  // namespace

std::unique_ptr<StepStrategy> make_step_strategy(config::Config& config, const StepContext& context) {
  const ObjectiveInfo& info = find_info(config.get_string("defense"));
  return info.make_step ? info.make_step(config, context) : make_standard_step();
}

std::unique_ptr<Objective> make_objective(config::Config& config) {
  const std::string name = config.get_string("defense");
  const ObjectiveInfo* chosen = &find_info(name);
  std::set<std::string> own, owned;  // this objective's keys; every objective's keys (dp.* too)
  for (const auto& o : chosen->options) own.insert(o.key);
  for (const auto& o : objective_options()) owned.insert(o.key);
  for (const auto& [key, value] : config.values())
    if ((key.rfind("defense.", 0) == 0 || owned.count(key)) && key != "defense.name" && !value.is_null() &&
        !own.count(key))
      throw Error(fmt::format("config key '{}' does not apply to defense '{}'", key, name));
  return chosen->make(config);
}

}  // namespace cwrf::train
