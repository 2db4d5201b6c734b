#include "cwrf/experiment/plan.h"

#include "cwrf/attack/settings.h"
#include "cwrf/experiment/analyses.h"
#include "cwrf/job/keys.h"

#include <fmt/format.h>

#include <cmath>

namespace cwrf::experiment {

double Plan::total_cost() const {
  double total = 0.0;
  for (const auto& j : jobs) total += j.cost;
  return total;
}

namespace {

std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "row" : out;
}

class Builder {
 public:
  explicit Builder(Plan& plan) : plan_(plan) {}

  int add(PlannedJob job) {
    nlohmann::json inputs = nlohmann::json::array();
    for (int i : job.inputs) inputs.push_back(plan_.jobs[i].identity);
    job.identity = nlohmann::json{{"kind", job.kind}, {"config", job.config}, {"inputs", inputs}}.dump();
    auto [it, added] = index_.emplace(job.identity, static_cast<int>(plan_.jobs.size()));
    if (added) plan_.jobs.push_back(std::move(job));
    return it->second;
  }

 private:
  Plan& plan_;
  std::map<std::string, int> index_;
};

}  // namespace

Plan make_plan(const Experiment& e, const RateChoices& chosen) {
  Plan plan;
  Builder builder(plan);
  const int64_t K = e.models();
  const int64_t split_seed = e.base.get_int("split.seed");
  const int64_t seed = e.base.get_int("seed");
  const int64_t selection_models = std::min<int64_t>(K, e.settings.get_int("experiment.rate_models"));
  // Signals: K models x pool (K/floor(K/2) training sets) x queries forward passes, a forward
  // pass about a third of a training step.
  const double queries = static_cast<double>(attack::resolved_queries(e.attack, e.base.get_string("model.name")).size());
  const double attack_cost = static_cast<double>(K) * queries * (K > 1 ? static_cast<double>(K) / (K / 2) : 1.0) / 3.0;

  auto run_config = [&](int64_t run, int64_t k) {
    config::Config c = e.base;
    c.set("split.models", K);
    c.set("split.model", k);
    c.set("split.seed", split_seed + run);
    c.set("seed", seed + 1000 * run + k);
    return c;
  };
  for (int64_t run = 0; run < e.runs(); ++run) {
    auto base_config = [&](int64_t k) { return run_config(run, k); };
    std::vector<int> base(K, -1);
    auto base_job = [&](int64_t k) {
      if (base[k] < 0) {
        PlannedJob b;
        b.kind = "train";
        b.config = base_config(k).to_json();
        b.cost = static_cast<double>(e.base.get_int("epochs"));
        b.label = fmt::format("base · run {} · model {}", run, k);
        b.run = run;
        b.model = k;
        base[k] = builder.add(std::move(b));
      }
      return base[k];
    };
    for (size_t r = 0; r < e.rows.size(); ++r) {
      const Row& row = e.rows[r];
      auto model_job = [&](int64_t k, double rate, bool candidate) {
        PlannedJob job;
        config::Config c = e.base;
        for (const auto& [key, value] : row.overrides.items()) c.set(key, value);
        if (row.cwrf) {
          job.kind = "cwrf";
          job.config = row.overrides;
          if (rate >= 0) job.config["cwrf.rate"] = rate;
          job.inputs = {base_job(k)};
          job.cost = static_cast<double>(c.get_int("cwrf.epochs"));
          job.rate = rate >= 0 ? rate : c.get_float("cwrf.rate");
        } else {
          config::Config full = base_config(k);
          for (const auto& [key, value] : row.overrides.items()) full.set(key, value);
          job.kind = "train";
          job.config = full.to_json();
          job.cost = static_cast<double>(full.get_int("epochs"));
        }
        job.label = candidate ? fmt::format("{} (r = {:g}) · run {} · model {}", row.name, rate, run, k)
                              : fmt::format("{} · run {} · model {}", row.name, run, k);
        job.row = static_cast<int>(r);
        job.run = run;
        job.model = k;
        job.candidate = candidate;
        return builder.add(std::move(job));
      };
      double rate = -1.0;  // the row's single rate comes with its overrides
      if (row.rates.size() > 1) {
        for (double candidate : row.rates)
          for (int64_t k = 0; k < selection_models; ++k) model_job(k, candidate, true);
        const auto it = chosen.find({r, run});
        if (it == chosen.end()) continue;  // the attack waits for the choice
        rate = it->second;
      } else if (row.rates.size() == 1) {
        rate = row.rates.front();
      }
      PlannedJob attack;
      attack.kind = "attack";
      attack.config = attack_settings(e, run).to_json();
      for (int64_t k = 0; k < K; ++k) attack.inputs.push_back(model_job(k, rate, false));
      attack.cost = attack_cost;
      attack.label = fmt::format("attack · {} · run {}", row.name, run);
      attack.out = fmt::format("{}-run{}", slug(row.name), run);
      attack.row = static_cast<int>(r);
      attack.run = run;
      plan.attacks[{r, run}] = builder.add(std::move(attack));
    }
  }

  // The analyses: each on model k = 0 of run 0 with the entry's model keys (the base model
  // itself when it has none, so Table 3's rows and the analyses share it), the models the kind
  // derives from it, and the analysis job over them.
  for (const AnalysisEntry& entry : e.analyses) {
    const AnalysisKind& kind = find_analysis(entry.kind);
    config::Config analysed_config = run_config(0, 0);
    for (const auto& [key, value] : entry.model_overrides.items()) analysed_config.set(key, value);
    PlannedJob m;
    m.kind = "train";
    m.config = analysed_config.to_json();
    m.cost = static_cast<double>(analysed_config.get_int("epochs"));
    m.label = entry.model_overrides.empty() ? "base · run 0 · model 0" : fmt::format("{} · analysed model", entry.name);
    m.model = 0;
    const int analysed = builder.add(std::move(m));
    nlohmann::json roles = nlohmann::json::array();
    std::vector<int> inputs = {analysed};
    auto add_input = [&](PlannedJob job, const nlohmann::json& role) {
      std::string what;
      for (const auto& [key, value] : role.items())
        what += fmt::format("{}{} {}", what.empty() ? "" : ", ", key, value.is_string() ? value.get<std::string>() : value.dump());
      job.label = fmt::format("{} · {}", entry.name, what);
      const int index = builder.add(std::move(job));
      roles.push_back(role);
      return index;
    };
    config::Config knobs(analysis_schema(entry.kind));
    knobs.merge_json(entry.knobs, "the analysis");
    AnalysisPlanning planning{e, entry, knobs, {}, {}, analysed_config.get_int("epochs")};
    planning.derive = [&](const nlohmann::json& overrides, const nlohmann::json& role) {
      PlannedJob job;
      job.kind = "cwrf";
      job.config = entry.derived_overrides;
      for (const auto& [key, value] : overrides.items()) job.config[key] = value;
      config::Config c = analysed_config;
      c.merge_json(job.config, "the analysis");
      job.cost = static_cast<double>(c.get_int("cwrf.epochs"));
      job.inputs = {analysed};
      job.rate = c.get_float("cwrf.rate");
      return add_input(std::move(job), role);
    };
    planning.train = [&](const nlohmann::json& overrides, const nlohmann::json& role) {
      config::Config c = analysed_config;
      for (const auto& [key, value] : entry.derived_overrides.items())
        if (key.rfind("cwrf.", 0) != 0) c.set(key, value);
      c.merge_json(overrides, "the analysis");
      PlannedJob job;
      job.kind = "train";
      job.config = c.to_json();
      job.cost = static_cast<double>(c.get_int("epochs"));
      return add_input(std::move(job), role);
    };
    for (int derived : kind.plan(planning)) inputs.push_back(derived);
    PlannedJob job;
    job.kind = "analysis";
    job.config = {{"analysis", entry.kind},
                  {"name", entry.name},
                  {"knobs", knobs.to_json()},
                  {"derived", entry.derived_overrides},
                  {"roles", roles}};
    job.inputs = inputs;
    job.cost = kind.cost * static_cast<double>(analysed_config.get_int("epochs"));
    job.label = fmt::format("analysis · {}", entry.name);
    job.out = entry.name;
    plan.analyses[entry.name] = builder.add(std::move(job));
  }
  return plan;
}

std::vector<int> row_models(const Plan& plan, size_t row, int64_t run) {
  const auto it = plan.attacks.find({row, run});
  return it == plan.attacks.end() ? std::vector<int>{} : plan.jobs[it->second].inputs;
}

}  // namespace cwrf::experiment
