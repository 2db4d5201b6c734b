#include "cwrf/experiment/experiment.h"

#include "cwrf/attack/runner.h"
#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/experiment/analyses.h"
#include "cwrf/data/split.h"
#include "cwrf/experiment/executor.h"
#include "cwrf/job/keys.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace cwrf::experiment {

namespace {

using config::Type;

config::Schema build_experiment_schema() {
  config::Schema s;
  s.add({
      {"experiment.name", Type::String, "experiment", "the report's title"},
      {"experiment.models", Type::Int, 9, "K models per row and run (leave-one-out: each target has K-1 shadows; paper: 9)",
       {}, true, config::at_least(1)},
      {"experiment.runs", Type::Int, 1, "independent runs, each with a fresh membership split and seeds (paper: 3)", {},
       true, config::at_least(1)},
      {"experiment.jobs", Type::Int, 0, "model jobs at once; on CUDA, per GPU (0: one per core on CPU, one per GPU)",
       {}, false, config::at_least(0)},
      {"experiment.devices", Type::FloatList, config::Json::array(),
       "GPU indices to spread the jobs over, round-robin (e.g. [0, 1]; needs device = \"cuda\"; empty: the device key's)",
       {}, false, config::at_least(0),
       [](const config::Json& v) -> std::string {
         for (const auto& d : v)
           if (d.get<double>() != std::floor(d.get<double>())) return fmt::format("must hold GPU indices (0, 1, ...), got {}", d.dump());
         return "";
       }},
      {"experiment.threads", Type::Int, 0, "total threads (0: all cores)", {}, false, config::at_least(0)},
      {"experiment.out", Type::String, "runs", "output folder: models/, attacks/, report/ go under it", {}, false},
      {"experiment.report_lira", Type::String, "online-fixed",
       "the LiRA variant of the report's table (online-fixed: with few shadow models a global variance is the stronger "
       "attack, Carlini et al. 2022; all four are in the attack results)",
       {"online", "online-fixed", "offline", "offline-fixed"}, false},
      {"experiment.report_rmia", Type::String, "online", "the RMIA variant of the report's table", {"online", "offline"},
       false},
      {"experiment.rate_models", Type::Int, 2,
       "CWRF rows with several rates: the models per run that try every rate (the first ones)", {}, true,
       config::at_least(1)},
      {"experiment.rate_tolerance", Type::Float, 0.01,
       "the accuracy CWRF may give up against the defense alone: when choosing among several rates (on the "
       "validation split) and in the paper report's verdict (iv) (\"equal utility\", on the test set)",
       {}, true,
       config::closed(0, 1)},
  });
  return s;
}

std::string where(const std::filesystem::path& path, const std::string& section) {
  return fmt::format("{} [{}]", path.string(), section);
}

std::string string_value(const toml::node& node, const std::string& context) {
  if (auto v = node.value<std::string>()) return *v;
  throw Error(fmt::format("{}: expected a string", context));
}

// A table as TOML text under `prefix`, so a Config reads it with its dotted keys.
std::string as_prefixed_toml(const toml::table& table, const std::string& prefix) {
  toml::table root;
  root.insert(prefix, table);
  std::ostringstream text;
  text << root;
  return text.str();
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

// `rate = [0.01, 0.03]` in a cwrf table: the candidate rates (taken out of the table); else {}.
std::vector<double> take_rate_list(toml::table& cwrf, const std::string& context) {
  const toml::array* list = cwrf["rate"].as_array();
  if (list == nullptr) return {};
  std::vector<double> rates;
  for (const auto& item : *list) {
    const auto v = item.value<double>();
    if (!v || !(*v >= 0.0 && *v <= 1.0))
      throw Error(fmt::format("{}: 'cwrf.rate' lists fractions in [0, 1], got {}", context,
                              v ? fmt::format("{:g}", *v) : std::string("a value that is not a number")));
    rates.push_back(*v);
  }
  if (rates.empty()) throw Error(fmt::format("{}: 'cwrf.rate' is an empty list", context));
  std::sort(rates.begin(), rates.end());
  if (std::adjacent_find(rates.begin(), rates.end()) != rates.end())
    throw Error(fmt::format("{}: 'cwrf.rate' lists a rate twice", context));
  cwrf.erase("rate");
  return rates;
}

Row parse_row(const toml::table& table, size_t index, const Experiment& e, const std::vector<double>& shared_rates) {
  const std::string context = fmt::format("{} [[row]] #{}", e.source.string(), index + 1);
  Row row;
  config::Json flat = config::Json::object();
  bool own_rate = false;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    if (key == "name") {
      row.name = string_value(node, context + ": 'name'");
    } else if (key == "cwrf" && node.is_boolean()) {
      row.cwrf = *node.value<bool>();
    } else if (const auto* sub = node.as_table()) {
      if (key == "cwrf") {
        row.cwrf = true;
        toml::table cwrf = *sub;
        own_rate = cwrf.contains("rate");
        row.rates = take_rate_list(cwrf, context);
        flatten(cwrf, key, flat, context);
        continue;
      }
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
  if (row.cwrf && !own_rate) row.rates = shared_rates;  // the [cwrf] table's list, unless the row has a rate
  // Validate keys, types and values now, against a copy of the base config.
  config::Config check = e.base;
  for (const auto& [key, value] : flat.items()) check.set(key, value, context + " (" + row.name + ")");
  for (const auto& [key, value] : flat.items()) row.overrides[config::canonical_key(key)] = check.get(key);
  return row;
}

// Deep merge: `over`'s keys replace `into`'s, tables merge key by key.
void merge_tables(toml::table& into, const toml::table& over) {
  for (const auto& [key, node] : over) {
    auto* inner = into[key].as_table();
    if (inner != nullptr && node.is_table()) merge_tables(*inner, *node.as_table());
    else into.insert_or_assign(key, node);
  }
}

// The keys of an analysis's derived models: the fine-tuning objective and the CWRF step.
bool is_derived_key(const std::string& key) {
  return key.rfind("cwrf.", 0) == 0 || key.rfind("defense.", 0) == 0 || key.rfind("dp.", 0) == 0;
}

// An [[analysis]] table: kind, name, the kind's knobs by their short names (sparsities = [...]),
// and config keys: cwrf.* / defense.* / dp.* for the models it derives, any other for its model.
AnalysisEntry parse_analysis(const toml::table& table, size_t index, const Experiment& e) {
  std::string context = fmt::format("{} [[analysis]] #{}", e.source.string(), index + 1);
  AnalysisEntry entry;
  if (!table.contains("kind")) {
    std::string known;
    for (const AnalysisKind& k : analysis_kinds()) known += (known.empty() ? "" : ", ") + k.name;
    throw Error(fmt::format("{}: every analysis needs a kind ({})", context, known));
  }
  entry.kind = string_value(*table.get("kind"), context + ": 'kind'");
  try {
    find_analysis(entry.kind);
  } catch (const Error& err) {
    throw Error(fmt::format("{}: {}", context, err.what()));
  }
  entry.name = table.contains("name") ? string_value(*table.get("name"), context + ": 'name'") : entry.kind;
  context += " (" + entry.name + ")";
  const config::Schema& knob_schema = analysis_schema(entry.kind);
  config::Config knobs(knob_schema);
  config::Json flat = config::Json::object();
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    if (key == "kind" || key == "name") continue;
    const std::string knob = entry.kind + "." + key;
    if (knob_schema.find(knob) != nullptr) {
      toml::table one;
      one.insert(knob, node);
      std::ostringstream text;
      text << one;
      knobs.merge_toml_string(text.str(), context);
      continue;
    }
    toml::table one;
    one.insert(key, node);
    flatten(one, "", flat, context);
  }
  // Config keys: validated on a copy of the base config, with the shared [cwrf] keys beneath.
  config::Config check = e.base;
  for (const auto& [key, value] : flat.items()) {
    if (check.schema().find(config::canonical_key(key)) == nullptr) {
      std::string names;
      for (const config::Option& o : knob_schema.options())
        names += (names.empty() ? "" : ", ") + o.key.substr(entry.kind.size() + 1);
      throw Error(fmt::format("{}: unknown key '{}' (the {} analysis's own keys: {}; or any key of `cwrf config keys`)",
                              context, key, entry.kind, names.empty() ? "none" : names));
    }
    check.set(key, value, context);
    const std::string canonical = config::canonical_key(key);
    (is_derived_key(canonical) ? entry.derived_overrides : entry.model_overrides)[canonical] = check.get(canonical);
  }
  entry.knobs = knobs.to_json();
  return entry;
}

// Enough shadow models for the attacks? Ask the attack stage itself, on a split of this K.
void check_attack_feasible(const Experiment& e) {
  data::SplitOptions o;
  o.num_models = e.models();
  o.pool_size = 64 * e.models();
  o.num_available = o.pool_size;
  const data::Split split = data::make_split(o);
  attack::MembershipMask membership(e.models(), o.pool_size);
  const auto keep = split.keep.accessor<bool, 2>();
  for (int64_t m = 0; m < e.models(); ++m)
    for (int64_t n = 0; n < o.pool_size; ++n) membership.set(m, n, keep[m][n]);
  try {
    attack::check_feasible(membership, e.attack);
  } catch (const Error& err) {
    throw Error(fmt::format("{}: models = {} is too few: {} (the paper uses 8 shadows + the target, models = 9)",
                            where(e.source, "experiment"), e.models(), err.what()));
  }
}

}  // namespace

const config::Schema& experiment_schema() {
  static const config::Schema s = build_experiment_schema();
  return s;
}

Experiment::Experiment()
    : settings(experiment_schema()), base(job::schema()), attack(attack::attack_schema()), executor(executor_schema()) {}

int64_t Experiment::targets() const {
  const int64_t t = attack.get_int("attack.targets");
  return t == 0 ? models() : t;
}

Experiment read_experiment(const std::filesystem::path& path, const std::vector<std::string>& set) {
  Experiment e;
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
  for (const char* section : {"experiment", "attack", "executor"}) {
    if (table.contains(section) && !table[section].is_table())
      throw Error(fmt::format("{}: '{}' must be a table ([{}])", path.string(), section, section));
  }
  if (const auto* section = table["experiment"].as_table()) {
    if (section->contains("targets"))
      throw Error(fmt::format("{}: 'targets' is an attack setting: write it under [attack] (attack.targets)",
                              where(path, "experiment")));
    e.settings.merge_toml_string(as_prefixed_toml(*section, "experiment"), where(path, "experiment"));
  }
  if (const auto* section = table["attack"].as_table())
    e.attack.merge_toml_string(as_prefixed_toml(*section, "attack"), where(path, "attack"));
  if (const auto* section = table["executor"].as_table())
    e.executor.merge_toml_string(as_prefixed_toml(*section, "executor"), where(path, "executor"));

  // Everything else is the base model config; a [cwrf] table's rate list is the CWRF rows' own.
  toml::table base = table;
  base.erase("experiment");
  base.erase("attack");
  base.erase("executor");
  base.erase("row");
  base.erase("analysis");
  base.erase("analyses");
  std::vector<double> shared_rates;
  if (auto* cwrf = base["cwrf"].as_table()) shared_rates = take_rate_list(*cwrf, where(path, "cwrf"));
  std::ostringstream text;
  text << base;
  e.base.merge_toml_string(text.str(), path.string());

  // Command-line overrides: experiment.* / attack.* / executor.* settings, or base config keys.
  for (const auto& assignment : set) {
    const std::string key = assignment.substr(0, assignment.find('='));
    if (key.rfind("experiment.", 0) == 0) e.settings.set_assignment(assignment);
    else if (key.rfind("attack.", 0) == 0) e.attack.set_assignment(assignment);
    else if (key.rfind("executor.", 0) == 0) e.executor.set_assignment(assignment);
    else e.base.set_assignment(assignment);
  }

  // Experiments report final figures only: evaluate the test set at the end of each model's
  // training unless the file asks for more (per-epoch evaluation was ~40 % of a long small-data job).
  if (e.base.origin("eval_every").empty()) e.base.set("eval_every", 0, "the experiment default (test set at the end only)");

  const auto* rows = table["row"].as_array();
  const auto* analyses = table["analysis"].as_array();
  if ((rows == nullptr || rows->empty()) && (analyses == nullptr || analyses->empty()))
    throw Error(fmt::format("{}: no [[row]] or [[analysis]] tables: an experiment needs at least one (e.g. a row: name "
                            "= \"No Defense\", defense = \"ce\"; an analysis: kind = \"correlation\")",
                            path.string()));
  std::set<std::string> names;
  for (size_t i = 0; rows != nullptr && i < rows->size(); ++i) {
    const auto* row_table = (*rows)[i].as_table();
    if (row_table == nullptr) throw Error(fmt::format("{}: [[row]] #{} is not a table", path.string(), i + 1));
    Row row = parse_row(*row_table, i, e, shared_rates);
    if (!names.insert(row.name).second) throw Error(fmt::format("{}: two rows are named '{}'", path.string(), row.name));
    e.rows.push_back(std::move(row));
  }
  // A top-level [cwrf] table holds the settings every CWRF row shares (a row's own values win).
  // They belong to the CWRF jobs only: the models trained from scratch refuse cwrf.* keys.
  for (const std::string& key : e.base.changed_keys("cwrf.")) {
    for (Row& row : e.rows)
      if (row.cwrf && !row.overrides.contains(key)) row.overrides[key] = e.base.get(key);
  }
  // An [analyses] table holds the keys every [[analysis]] shares (its model's size, say); an entry's
  // own value wins, key by key.
  const toml::table* shared_analysis_keys = table["analyses"].as_table();
  if (table.contains("analyses") && shared_analysis_keys == nullptr)
    throw Error(fmt::format("{}: [analyses] must be a table of keys every [[analysis]] shares", path.string()));
  std::set<std::string> analysis_names;
  for (size_t i = 0; analyses != nullptr && i < analyses->size(); ++i) {
    const auto* analysis_table = (*analyses)[i].as_table();
    if (analysis_table == nullptr) throw Error(fmt::format("{}: [[analysis]] #{} is not a table", path.string(), i + 1));
    toml::table merged = shared_analysis_keys != nullptr ? *shared_analysis_keys : toml::table{};
    merge_tables(merged, *analysis_table);
    AnalysisEntry entry = parse_analysis(merged, i, e);
    if (!analysis_names.insert(entry.name).second)
      throw Error(fmt::format("{}: two analyses are named '{}' (give one a name = \"...\")", path.string(), entry.name));
    for (const std::string& key : e.base.changed_keys("cwrf."))
      if (!entry.derived_overrides.contains(key)) entry.derived_overrides[key] = e.base.get(key);
    e.analyses.push_back(std::move(entry));
  }
  e.base.reset_prefix("cwrf.");

  // Choosing r among several rates needs validation data the attacks never see.
  for (const Row& row : e.rows)
    if (row.rates.size() > 1 && e.base.get_int("data.val_size") == 0)
      throw Error(fmt::format("{}: row '{}' gives several rates, chosen on the validation split: set data.val_size "
                              "(e.g. 1000)",
                              path.string(), row.name));

  // The attack settings against the experiment's shape and models, before any job starts.
  attack::check_attack_settings(e.attack);
  require(e.attack.get_int("attack.targets") <= e.models(),
          fmt::format("{} must be at most experiment.models = {} (0 = every model), got {}",
                      e.attack.label("attack.targets"), e.models(), e.attack.get_int("attack.targets")));
  if (!e.rows.empty()) check_attack_feasible(e);
  attack::resolved_queries(e.attack, e.base.get_string("model.name"));
  return e;
}

int defense_alone_row(const Experiment& e, size_t row) {
  auto defense_keys = [&](size_t r) {
    nlohmann::json keys = nlohmann::json::object();
    for (const auto& [key, value] : e.rows[r].overrides.items())
      if (key.rfind("defense.", 0) == 0 || key.rfind("dp.", 0) == 0) keys[key] = value;
    if (!keys.contains("defense.name")) keys["defense.name"] = e.base.get_string("defense.name");
    return keys;
  };
  const nlohmann::json wanted = defense_keys(row);
  for (size_t r = 0; r < e.rows.size(); ++r)
    if (!e.rows[r].cwrf && defense_keys(r) == wanted) return static_cast<int>(r);
  return -1;
}

config::Config attack_settings(const Experiment& e, int64_t run) {
  config::Config settings = e.attack;
  settings.set("attack.seed", e.attack.get_int("attack.seed") + run, e.attack.origin("attack.seed"));
  return settings;
}

nlohmann::json experiment_json(const Experiment& e) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : e.rows)
    rows.push_back({{"name", r.name}, {"cwrf", r.cwrf}, {"overrides", r.overrides}, {"rates", r.rates}});
  nlohmann::json out = e.settings.to_json();
  out["source"] = e.source.string();
  out["base"] = e.base.to_json();
  out["attack"] = e.attack.to_json();
  out["queries"] = attack::resolved_queries(e.attack, e.base.get_string("model.name"));
  out["rows"] = rows;
  nlohmann::json analyses = nlohmann::json::array();
  for (const auto& a : e.analyses)
    analyses.push_back({{"kind", a.kind}, {"name", a.name}, {"model", a.model_overrides}, {"derived", a.derived_overrides},
                        {"knobs", a.knobs}});
  out["analyses"] = analyses;
  return out;
}

}  // namespace cwrf::experiment
