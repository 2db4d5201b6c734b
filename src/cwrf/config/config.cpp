#include "cwrf/config/config.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cwrf::config {

namespace {

const char* type_name(Type type) {
  switch (type) {
    case Type::Bool: return "a boolean";
    case Type::Int: return "an integer";
    case Type::Float: return "a number";
    case Type::String: return "a string";
    case Type::StringList: return "a list of strings";
    case Type::FloatList: return "a list of numbers";
  }
  return "?";
}

std::string where(const std::string& origin) { return origin.empty() ? "" : fmt::format(" (from {})", origin); }

// The subject of an error about `key` set from `origin`, and what follows the message.
std::string subject(const std::string& key, const std::string& origin) {
  return is_flag_origin(origin) ? origin : fmt::format("config key '{}'", key);
}
std::string suffix(const std::string& origin) { return is_flag_origin(origin) ? "" : where(origin); }

std::string known_keys_hint(const Schema& schema, const std::string& key) {
  // Suggest keys sharing the unknown key's first segment, which catches most typos.
  const std::string head = key.substr(0, key.find('.'));
  std::vector<std::string> near;
  for (const auto& o : schema.options())
    if (o.key.rfind(head, 0) == 0) near.push_back(o.key);
  if (near.empty()) return "; see `cwrf config keys` for the list";
  std::string out = "; keys starting with '" + head + "': ";
  for (size_t i = 0; i < near.size() && i < 12; ++i) out += (i ? ", " : "") + near[i];
  return out;
}

Json toml_value(const toml::node& node, const std::string& key, const std::string& origin) {
  if (const auto* v = node.as_boolean()) return v->get();
  if (const auto* v = node.as_integer()) return v->get();
  if (const auto* v = node.as_floating_point()) return v->get();
  if (const auto* v = node.as_string()) return v->get();
  if (const auto* array = node.as_array()) {
    Json items = Json::array();
    for (const auto& item : *array) {
      if (item.is_array() || item.is_table())
        throw Error(fmt::format("{}: key '{}' holds a nested array or table; lists hold strings or numbers", origin, key));
      items.push_back(toml_value(item, key, origin));
    }
    return items;
  }
  throw Error(fmt::format("{}: key '{}' has an unsupported value (dates are not config values)", origin, key));
}

void flatten(const toml::table& table, const std::string& prefix, std::vector<std::pair<std::string, Json>>& out,
             const std::string& origin) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) flatten(*sub, key, out, origin);
    else out.emplace_back(key, toml_value(node, key, origin));
  }
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

bool within(const Bounds& b, double v) {
  if (b.min_open ? !(v > b.min) : !(v >= b.min)) return false;
  if (b.max_open ? !(v < b.max) : !(v <= b.max)) return false;
  return true;
}

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "∞" : "-∞";
  return fmt::format("{:g}", v);
}

}  // namespace

bool Bounds::unbounded() const { return std::isinf(min) && std::isinf(max); }

std::string Bounds::describe() const {
  if (std::isinf(max)) return fmt::format("{} {}", min_open ? ">" : ">=", number_text(min));
  if (std::isinf(min)) return fmt::format("{} {}", max_open ? "<" : "<=", number_text(max));
  return fmt::format("in {}{}, {}{}", min_open ? "(" : "[", number_text(min), number_text(max), max_open ? ")" : "]");
}

Bounds at_least(double min) { return Bounds{min, std::numeric_limits<double>::infinity(), false, false}; }
Bounds greater_than(double min) { return Bounds{min, std::numeric_limits<double>::infinity(), true, false}; }
Bounds closed(double min, double max) { return Bounds{min, max, false, false}; }
Bounds open(double min, double max) { return Bounds{min, max, true, true}; }
Bounds half_open(double min, double max) { return Bounds{min, max, false, true}; }

void Schema::add(Option option) {
  if (index_.count(option.key)) throw std::logic_error("duplicate config key " + option.key);
  index_[option.key] = options_.size();
  options_.push_back(std::move(option));
}

void Schema::add(const std::vector<Option>& options) {
  for (const auto& o : options) add(o);
}

const Option* Schema::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &options_[it->second];
}

std::string canonical_key(const std::string& key) {
  if (key == "model" || key == "defense") return key + ".name";
  return key;
}

bool is_flag_origin(const std::string& origin) {
  return origin.size() > 2 && origin.rfind("--", 0) == 0 && origin.find_first_of(" =") == std::string::npos &&
         origin != "--set";
}

std::string value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + value_text(item);
    return out;
  }
  if (value.is_number_float()) return fmt::format("{:g}", value.get<double>());
  return value.dump();
}

Config::Config(const Schema& schema) : schema_(&schema) {
  for (const auto& o : schema.options()) values_[o.key] = o.default_value;
}

void Config::set(const std::string& raw_key, const Json& value, const std::string& origin) {
  const std::string key = canonical_key(raw_key);
  const Option* option = schema_->find(key);
  if (option == nullptr) throw Error(fmt::format("unknown config key '{}'{}{}", raw_key, where(origin), known_keys_hint(*schema_, key)));
  const std::string who = subject(key, origin), after = suffix(origin);
  auto fail = [&](const std::string& what) { return Error(fmt::format("{} {}{}", who, what, after)); };
  Json v = value;
  bool ok = false;
  switch (option->type) {
    case Type::Bool: ok = v.is_boolean(); break;
    case Type::Int: ok = v.is_number_integer(); break;
    case Type::Float:
      ok = v.is_number();
      if (ok) v = v.get<double>();
      if (ok && !std::isfinite(v.get<double>())) throw fail(fmt::format("must be finite, got {}", value.dump()));
      break;
    case Type::String: ok = v.is_string(); break;
    case Type::StringList:
    case Type::FloatList: {
      if (v.is_string()) {  // "a,b,c", as on the command line
        Json items = Json::array();
        for (const std::string& item : split_commas(v.get<std::string>())) items.push_back(item);
        v = items;
        if (option->type == Type::FloatList) {
          Json numbers = Json::array();
          for (const auto& item : v) {
            size_t used = 0;
            double d = 0;
            try {
              d = std::stod(item.get<std::string>(), &used);
            } catch (...) {
              used = 0;
            }
            if (used == 0 || used != item.get<std::string>().size())
              throw fail(fmt::format("must be a list of numbers, got '{}'", item.get<std::string>()));
            numbers.push_back(d);
          }
          v = numbers;
        }
      }
      ok = v.is_array();
      for (auto& item : v) {
        if (option->type == Type::StringList) ok = ok && item.is_string();
        else {
          ok = ok && item.is_number();
          if (ok) item = item.get<double>();
          if (ok && !std::isfinite(item.get<double>())) throw fail(fmt::format("must hold finite numbers, got {}", value.dump()));
        }
      }
      break;
    }
  }
  if (!ok) throw fail(fmt::format("must be {}, got {}", type_name(option->type), value.dump()));
  auto check_choice = [&](const std::string& s) {
    if (option->choices.empty() ||
        std::find(option->choices.begin(), option->choices.end(), s) != option->choices.end())
      return;
    std::string list;
    for (const auto& c : option->choices) list += (list.empty() ? "" : ", ") + c;
    throw fail(fmt::format("has unknown value '{}'; expected one of: {}", s, list));
  };
  auto check_bounds = [&](double d) {
    if (!within(option->bounds, d)) throw fail(fmt::format("must be {}, got {}", option->bounds.describe(), number_text(d)));
  };
  if (option->type == Type::String) check_choice(v.get<std::string>());
  if (option->type == Type::StringList)
    for (const auto& item : v) check_choice(item.get<std::string>());
  if (option->type == Type::Int) check_bounds(static_cast<double>(v.get<int64_t>()));
  if (option->type == Type::Float) check_bounds(v.get<double>());
  if (option->type == Type::FloatList)
    for (const auto& item : v) check_bounds(item.get<double>());
  if (option->check) {
    const std::string problem = option->check(v);
    if (!problem.empty()) throw fail(problem);
  }
  values_[key] = std::move(v);
  origins_[key] = origin;
}

void Config::set_text(const std::string& raw_key, const std::string& text, const std::string& origin) {
  const std::string key = canonical_key(raw_key);
  const Option* option = schema_->find(key);
  if (option == nullptr) throw Error(fmt::format("unknown config key '{}'{}{}", raw_key, where(origin), known_keys_hint(*schema_, key)));
  auto bad = [&] {
    return Error(fmt::format("{} must be {}, got '{}'{}", subject(key, origin), type_name(option->type), text, suffix(origin)));
  };
  switch (option->type) {
    case Type::Bool:
      if (text == "true" || text == "1" || text == "on") return set(key, true, origin);
      if (text == "false" || text == "0" || text == "off") return set(key, false, origin);
      throw bad();
    case Type::Int: {
      size_t used = 0;
      int64_t v = 0;
      try { v = std::stoll(text, &used); } catch (...) { throw bad(); }
      if (used != text.size()) throw bad();
      return set(key, v, origin);
    }
    case Type::Float: {
      size_t used = 0;
      double v = 0;
      try { v = std::stod(text, &used); } catch (...) { throw bad(); }
      if (used != text.size()) throw bad();
      return set(key, v, origin);
    }
    case Type::String:
    case Type::StringList:
    case Type::FloatList: return set(key, text, origin);
  }
}

void Config::set_assignment(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(fmt::format("--set expects key=value, got '{}'", assignment));
  set_text(assignment.substr(0, eq), assignment.substr(eq + 1), "--set " + assignment);
}

void Config::merge_toml_string(const std::string& text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw Error(fmt::format("{}:{}:{}: invalid TOML: {}", origin, at.line, at.column, e.description()));
  }
  std::vector<std::pair<std::string, Json>> flat;
  flatten(table, "", flat, origin);
  for (const auto& [k, v] : flat) set(k, v, origin);
}

void Config::merge_toml_file(const std::filesystem::path& path) {
  std::ifstream probe(path);
  if (!probe) throw Error(fmt::format("config file not found or unreadable: {}", path.string()));
  std::stringstream buffer;
  buffer << probe.rdbuf();
  merge_toml_string(buffer.str(), path.string());
}

void Config::merge_json(const Json& flat, const std::string& origin) {
  if (!flat.is_object()) throw Error(fmt::format("{}: expected a JSON object of config keys", origin));
  for (const auto& [key, value] : flat.items())
    if (!value.is_null()) set(key, value, origin);
}

void Config::clear_prefix(const std::string& prefix) {
  for (auto& [key, value] : values_)
    if (key.rfind(prefix, 0) == 0) {
      value = nullptr;
      origins_.erase(key);
    }
}

void Config::reset_prefix(const std::string& prefix) {
  for (auto& [key, value] : values_)
    if (key.rfind(prefix, 0) == 0) {
      value = schema_->find(key)->default_value;
      origins_.erase(key);
    }
}

std::vector<std::string> Config::changed_keys(const std::string& prefix) const {
  std::vector<std::string> changed;
  for (const auto& [key, value] : values_)
    if (key.rfind(prefix, 0) == 0 && !value.is_null() && value != schema_->find(key)->default_value)
      changed.push_back(key);
  return changed;
}

bool Config::has(const std::string& key) const {
  auto it = values_.find(canonical_key(key));
  return it != values_.end() && !it->second.is_null();
}

const Json& Config::get(const std::string& raw_key) const {
  const std::string key = canonical_key(raw_key);
  auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error("config key not in schema: " + key);
  return it->second;
}

bool Config::get_bool(const std::string& key) const { return get(key).get<bool>(); }
int64_t Config::get_int(const std::string& key) const { return get(key).get<int64_t>(); }
double Config::get_float(const std::string& key) const { return get(key).get<double>(); }
std::string Config::get_string(const std::string& key) const { return get(key).get<std::string>(); }
std::vector<std::string> Config::get_strings(const std::string& key) const { return get(key).get<std::vector<std::string>>(); }
std::vector<double> Config::get_floats(const std::string& key) const { return get(key).get<std::vector<double>>(); }

std::string Config::origin(const std::string& key) const {
  auto it = origins_.find(canonical_key(key));
  return it == origins_.end() ? "" : it->second;
}

std::string Config::label(const std::string& raw_key) const {
  const std::string key = canonical_key(raw_key);
  const std::string from = origin(key);
  return is_flag_origin(from) ? from : fmt::format("config key '{}'{}", key, where(from));
}

Json Config::to_json() const {
  Json out = Json::object();
  for (const auto& [k, v] : values_)
    if (!v.is_null()) out[k] = v;
  return out;
}

std::string Config::to_toml() const {
  toml::table root;
  for (const auto& [key, v] : values_) {
    if (v.is_null()) continue;
    toml::table* table = &root;
    size_t start = 0, dot;
    while ((dot = key.find('.', start)) != std::string::npos) {
      const std::string part = key.substr(start, dot - start);
      if (!table->contains(part)) table->insert(part, toml::table{});
      table = table->get_as<toml::table>(part);
      start = dot + 1;
    }
    const std::string leaf = key.substr(start);
    auto scalar = [](const Json& j, auto&& insert) {
      if (j.is_boolean()) insert(j.get<bool>());
      else if (j.is_number_integer()) insert(j.get<int64_t>());
      else if (j.is_number()) insert(j.get<double>());
      else insert(j.get<std::string>());
    };
    if (v.is_array()) {
      toml::array items;
      for (const auto& item : v) scalar(item, [&](auto x) { items.push_back(x); });
      table->insert(leaf, std::move(items));
    } else {
      scalar(v, [&](auto x) { table->insert(leaf, x); });
    }
  }
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

std::string Config::canonical_text() const {
  Json out = Json::object();
  for (const auto& [k, v] : values_) {
    const Option* option = schema_->find(k);
    if (option == nullptr || !option->hashed || v.is_null()) continue;
    if (!option->hash_default && v == option->default_value) continue;
    out[k] = v;
  }
  return out.dump();
}

}  // namespace cwrf::config
