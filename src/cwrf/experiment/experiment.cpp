#include "cwrf/experiment/experiment.h"

#include "cwrf/attack/signals.h"
#include "cwrf/common/error.h"
#include "cwrf/config/keys.h"
#include "cwrf/data/split.h"
#include "cwrf/train/objectives/registry.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>
#include <sstream>

namespace cwrf::experiment {

namespace {

std::string where(const std::filesystem::path& path, const std::string& section) {
  return fmt::format("{} [{}]", path.string(), section);
}

int64_t int_value(const toml::node& node, const std::string& context) {
  if (auto v = node.value<int64_t>()) return *v;
  throw Error(fmt::format("{}: expected an integer", context));
}

double number_value(const toml::node& node, const std::string& context) {
  if (auto v = node.value<double>()) return *v;
  throw Error(fmt::format("{}: expected a number", context));
}

std::string string_value(const toml::node& node, const std::string& context) {
  if (auto v = node.value<std::string>()) return *v;
  throw Error(fmt::format("{}: expected a string", context));
}

// An array of strings, or one comma-separated string.
std::vector<std::string> string_list(const toml::node& node, const std::string& context) {
  std::vector<std::string> out;
  if (const auto* array = node.as_array()) {
    for (const auto& item : *array) out.push_back(string_value(item, context));
  } else {
    std::string text = string_value(node, context);
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

void check_members(const std::vector<std::string>& values, const std::set<std::string>& allowed,
                   const std::string& context) {
  for (const auto& v : values)
    if (!allowed.count(v)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Error(fmt::format("{}: unknown value '{}'; expected one of: {}", context, v, list));
    }
}

void flatten(const toml::table& table, const std::string& prefix, config::Json& out, const std::string& context) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) flatten(*sub, key, out, context);
    else if (auto b = node.value_exact<bool>()) out[key] = *b;
    else if (auto i = node.value_exact<int64_t>()) out[key] = *i;
    else if (auto d = node.value_exact<double>()) out[key] = *d;
    else if (auto s = node.value_exact<std::string>()) out[key] = *s;
    else throw Error(fmt::format("{}: key '{}' has an unsupported value", context, key));
  }
}

void set_experiment_key(Experiment& e, const std::string& key, const toml::node& node, const std::string& context) {
  const std::string c = fmt::format("{}: '{}'", context, key);
  if (key == "name") e.name = string_value(node, c);
  else if (key == "models") e.models = int_value(node, c);
  else if (key == "targets") e.targets = int_value(node, c);
  else if (key == "runs") e.runs = int_value(node, c);
  else if (key == "jobs") e.jobs = int_value(node, c);
  else if (key == "threads") e.threads = int_value(node, c);
  else if (key == "out") e.out = string_value(node, c);
  else throw Error(fmt::format("{}: unknown key '{}' (known: name, models, targets, runs, jobs, threads, out)", context, key));
}

void set_attack_key(AttackSettings& a, const std::string& key, const toml::node& node, const std::string& context) {
  const std::string c = fmt::format("{}: '{}'", context, key);
  if (key == "attacks") {
    a.attacks = string_list(node, c);
    check_members(a.attacks, {"lira", "rmia", "metric"}, c);
  } else if (key == "queries") {
    a.queries = string_list(node, c);
    check_members(a.queries, {"identity", "mirror", "shift"}, c);
  } else if (key == "rmia_gamma") a.rmia_gamma = number_value(node, c);
  else if (key == "rmia_offline_a") a.rmia_offline_a = number_value(node, c);
  else if (key == "rmia_population") a.rmia_population = int_value(node, c);
  else if (key == "bootstrap") a.bootstrap = int_value(node, c);
  else
    throw Error(fmt::format("{}: unknown key '{}' (known: attacks, queries, rmia_gamma, rmia_offline_a, "
                            "rmia_population, bootstrap)",
                            context, key));
}

Row parse_row(const toml::table& table, size_t index, const Experiment& e) {
  const std::string context = fmt::format("{} [[row]] #{}", e.source.string(), index + 1);
  Row row;
  config::Json flat = config::Json::object();
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    if (key == "name") {
      row.name = string_value(node, context + ": 'name'");
    } else if (key == "cwrf" && node.is_boolean()) {
      row.cwrf = *node.value<bool>();
    } else if (const auto* sub = node.as_table()) {
      if (key == "cwrf") row.cwrf = true;
      flatten(*sub, key, flat, context);
    } else {
      toml::table one;
      one.insert(key, node);
      flatten(one, "", flat, context);
    }
  }
  if (row.name.empty()) throw Error(fmt::format("{}: every row needs a name", context));
  for (const auto& [key, value] : flat.items())
    if (key.rfind("cwrf.", 0) == 0) row.cwrf = true;
  // Validate keys and types now, against a copy of the base config.
  config::Config check = e.base;
  for (const auto& [key, value] : flat.items()) check.set(key, value, context + " (" + row.name + ")");
  for (const auto& [key, value] : flat.items()) row.overrides[config::canonical_key(key)] = check.get(key);
  const std::string defense = check.get_string("defense");
  const auto& infos = train::objective_infos();
  if (std::none_of(infos.begin(), infos.end(), [&](const auto& info) { return info.name == defense; })) {
    std::string known;
    for (const auto& info : infos) known += (known.empty() ? "" : ", ") + info.name;
    throw Error(fmt::format("{} ('{}'): unknown defense '{}'; known: {}", context, row.name, defense, known));
  }
  return row;
}

}  // namespace

Experiment read_experiment(const std::filesystem::path& path, const std::vector<std::string>& set) {
  Experiment e(config::schema());
  e.source = path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(fmt::format("experiment file not found: {}", path.string()));
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error& err) {
    const auto& at = err.source().begin;
    throw Error(fmt::format("{}:{}:{}: invalid TOML: {}", path.string(), at.line, at.column, err.description()));
  }
  if (const auto* section = table["experiment"].as_table())
    for (const auto& [k, node] : *section) set_experiment_key(e, std::string(k.str()), node, where(path, "experiment"));
  if (const auto* section = table["attack"].as_table())
    for (const auto& [k, node] : *section) set_attack_key(e.attack, std::string(k.str()), node, where(path, "attack"));

  // Everything else is the base model config.
  toml::table base = table;
  base.erase("experiment");
  base.erase("attack");
  base.erase("row");
  std::ostringstream text;
  text << base;
  e.base.merge_toml_string(text.str(), path.string());

  // Command-line overrides: experiment.* / attack.* settings, or base config keys.
  for (const auto& assignment : set) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(fmt::format("--set expects key=value, got '{}'", assignment));
    const std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
    auto parsed = [&]() -> toml::table {
      // Parse the value as TOML so numbers, booleans and arrays keep their types; else a string.
      try {
        return toml::parse("v = " + value);
      } catch (const toml::parse_error&) {
        toml::table t;
        t.insert("v", value);
        return t;
      }
    }();
    if (key.rfind("experiment.", 0) == 0) set_experiment_key(e, key.substr(11), *parsed["v"].node(), "--set");
    else if (key.rfind("attack.", 0) == 0) set_attack_key(e.attack, key.substr(7), *parsed["v"].node(), "--set");
    else e.base.set_assignment(assignment);
  }

  const auto* rows = table["row"].as_array();
  if (rows == nullptr || rows->empty())
    throw Error(fmt::format("{}: no [[row]] tables: an experiment needs at least one row (e.g. name = \"No Defense\", "
                            "defense = \"ce\")",
                            path.string()));
  std::set<std::string> names;
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto* row_table = (*rows)[i].as_table();
    if (row_table == nullptr) throw Error(fmt::format("{}: [[row]] #{} is not a table", path.string(), i + 1));
    Row row = parse_row(*row_table, i, e);
    if (!names.insert(row.name).second) throw Error(fmt::format("{}: two rows are named '{}'", path.string(), row.name));
    e.rows.push_back(std::move(row));
  }
  // A top-level [cwrf] table holds the settings every CWRF row shares (a row's own values win).
  // They belong to the CWRF jobs only: the models trained from scratch refuse cwrf.* keys.
  for (const std::string& key : e.base.changed_keys("cwrf.")) {
    for (Row& row : e.rows)
      if (row.cwrf && !row.overrides.contains(key)) row.overrides[key] = e.base.get(key);
  }
  e.base.reset_prefix("cwrf.");

  const std::string ctx = where(path, "experiment");
  require(e.runs >= 1, fmt::format("{}: runs must be >= 1, got {}", ctx, e.runs));
  require(e.models >= 1, fmt::format("{}: models must be >= 1, got {}", ctx, e.models));
  require(e.targets >= 1 && e.targets <= e.models,
          fmt::format("{}: targets must be in [1, models = {}], got {}", ctx, e.models, e.targets));
  require(e.jobs >= 0 && e.threads >= 0, fmt::format("{}: jobs and threads must be >= 0", ctx));
  // Leave-one-out with online attacks needs IN and OUT shadows for every example: a target's
  // member has floor(K/2) - 1 IN shadows, so K >= 4.
  // Enough shadow models for the attacks? Ask the attack stage itself, on a split of this K.
  if (!e.attack.attacks.empty()) {
    data::SplitOptions o;
    o.num_models = e.models;
    o.pool_size = 64 * e.models;
    o.num_available = o.pool_size;
    const data::Split split = data::make_split(o);
    attack::MembershipMask membership(e.models, o.pool_size);
    const auto keep = split.keep.accessor<bool, 2>();
    for (int64_t m = 0; m < e.models; ++m)
      for (int64_t n = 0; n < o.pool_size; ++n) membership.set(m, n, keep[m][n]);
    try {
      attack::check_feasible(membership, attack_plan(e, 0));
    } catch (const Error& err) {
      throw Error(fmt::format("{}: models = {} is too few: {} (the paper uses 8 shadows + the target, models = 9)", ctx,
                              e.models, err.what()));
    }
  }
  if (e.attack.queries.empty()) e.attack.queries = attack::default_queries(e.base.get_string("model.name"));
  return e;
}

attack::AttackPlan attack_plan(const Experiment& e, int64_t run) {
  attack::AttackPlan plan;
  auto has = [&](const char* a) { return std::find(e.attack.attacks.begin(), e.attack.attacks.end(), a) != e.attack.attacks.end(); };
  plan.lira = has("lira");
  plan.rmia = has("rmia");
  plan.metric = has("metric");
  plan.targets = e.targets;
  plan.rmia_gamma = e.attack.rmia_gamma;
  plan.rmia_offline_a = e.attack.rmia_offline_a;
  plan.rmia_population = e.attack.rmia_population;
  plan.roc.bootstrap = e.attack.bootstrap;
  plan.seed = static_cast<uint64_t>(run);
  return plan;
}

nlohmann::json experiment_json(const Experiment& e) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : e.rows) rows.push_back({{"name", r.name}, {"cwrf", r.cwrf}, {"overrides", r.overrides}});
  return {{"name", e.name},
          {"source", e.source.string()},
          {"models", e.models},
          {"targets", e.targets},
          {"runs", e.runs},
          {"jobs", e.jobs},
          {"threads", e.threads},
          {"base", e.base.to_json()},
          {"attack",
           {{"attacks", e.attack.attacks},
            {"queries", e.attack.queries},
            {"rmia_gamma", e.attack.rmia_gamma},
            {"rmia_offline_a", e.attack.rmia_offline_a},
            {"rmia_population", e.attack.rmia_population},
            {"bootstrap", e.attack.bootstrap}}},
          {"rows", rows}};
}

}  // namespace cwrf::experiment
