#include "cwrf/experiment/plan.h"

#include <fmt/format.h>

#include <map>

namespace cwrf::experiment {

int64_t Plan::total_epochs() const {
  int64_t total = 0;
  for (const auto& j : jobs) total += j.epochs;
  return total;
}

namespace {

int add_job(Plan& plan, std::map<std::string, int>& index, ModelJob job) {
  job.identity = nlohmann::json{{"kind", job.kind == JobKind::Train ? "train" : "cwrf"},
                                {"config", job.config},
                                {"parent", job.parent < 0 ? std::string() : plan.jobs[job.parent].identity}}
                     .dump();
  auto [it, added] = index.emplace(job.identity, static_cast<int>(plan.jobs.size()));
  if (added) plan.jobs.push_back(std::move(job));
  return it->second;
}

}  // namespace

Plan make_plan(const Experiment& e) {
  Plan plan;
  std::map<std::string, int> index;
  const int64_t split_seed = e.base.get_int("split.seed");
  const int64_t seed = e.base.get_int("seed");
  for (int64_t run = 0; run < e.runs(); ++run) {
    // The base models of this run (plain training with the base config).
    std::vector<int> base(e.models(), -1);
    auto base_config = [&](int64_t k) {
      config::Config c = e.base;
      c.set("split.models", e.models());
      c.set("split.model", k);
      c.set("split.seed", split_seed + run);
      c.set("seed", seed + 1000 * run + k);
      return c;
    };
    for (size_t r = 0; r < e.rows.size(); ++r) {
      const Row& row = e.rows[r];
      AttackJob attack{r, run, {}};
      for (int64_t k = 0; k < e.models(); ++k) {
        ModelJob job;
        if (row.cwrf) {
          if (base[k] < 0) {
            ModelJob b;
            b.kind = JobKind::Train;
            b.config = base_config(k).to_json();
            b.epochs = e.base.get_int("epochs");
            b.label = fmt::format("base · run {} · model {}", run, k);
            base[k] = add_job(plan, index, std::move(b));
          }
          config::Config c = e.base;
          for (const auto& [key, value] : row.overrides.items()) c.set(key, value);
          job.kind = JobKind::Cwrf;
          job.config = row.overrides;
          job.parent = base[k];
          job.epochs = c.get_int("cwrf.epochs");
        } else {
          config::Config c = base_config(k);
          for (const auto& [key, value] : row.overrides.items()) c.set(key, value);
          job.kind = JobKind::Train;
          job.config = c.to_json();
          job.epochs = c.get_int("epochs");
        }
        job.label = fmt::format("{} · run {} · model {}", row.name, run, k);
        attack.models.push_back(add_job(plan, index, std::move(job)));
      }
      plan.attacks.push_back(std::move(attack));
    }
  }
  return plan;
}

}  // namespace cwrf::experiment
