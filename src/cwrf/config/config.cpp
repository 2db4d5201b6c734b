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
  }
  return "?";
}

std::string where(const std::string& origin) { return origin.empty() ? "" : fmt::format(" (from {})", origin); }

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

void flatten(const toml::table& table, const std::string& prefix, std::vector<std::pair<std::string, Json>>& out,
             const std::string& origin) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, key, out, origin);
    } else if (const auto* v = node.as_boolean()) {
      out.emplace_back(key, v->get());
    } else if (const auto* v = node.as_integer()) {
      out.emplace_back(key, v->get());
    } else if (const auto* v = node.as_floating_point()) {
      out.emplace_back(key, v->get());
    } else if (const auto* v = node.as_string()) {
      out.emplace_back(key, v->get());
    } else {
      throw Error(fmt::format("{}: key '{}' has an unsupported value (arrays and dates are not config values)",
                              origin, key));
    }
  }
}

}  // namespace

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

Config::Config(const Schema& schema) : schema_(&schema) {
  for (const auto& o : schema.options()) values_[o.key] = o.default_value;
}

void Config::set(const std::string& raw_key, const Json& value, const std::string& origin) {
  const std::string key = canonical_key(raw_key);
  const Option* option = schema_->find(key);
  if (option == nullptr) throw Error(fmt::format("unknown config key '{}'{}{}", raw_key, where(origin), known_keys_hint(*schema_, key)));
  Json v = value;
  bool ok = false;
  switch (option->type) {
    case Type::Bool: ok = v.is_boolean(); break;
    case Type::Int: ok = v.is_number_integer(); break;
    case Type::Float:
      ok = v.is_number();
      if (ok) v = v.get<double>();
      if (ok && !std::isfinite(v.get<double>()))
        throw Error(fmt::format("config key '{}' must be finite, got {}{}", key, value.dump(), where(origin)));
      break;
    case Type::String: ok = v.is_string(); break;
  }
  if (!ok) throw Error(fmt::format("config key '{}' must be {}, got {}{}", key, type_name(option->type), value.dump(), where(origin)));
  if (!option->choices.empty()) {
    const auto s = v.get<std::string>();
    if (std::find(option->choices.begin(), option->choices.end(), s) == option->choices.end()) {
      std::string list;
      for (const auto& c : option->choices) list += (list.empty() ? "" : ", ") + c;
      throw Error(fmt::format("config key '{}' has unknown value '{}'{}; expected one of: {}", key, s, where(origin), list));
    }
  }
  values_[key] = std::move(v);
}

void Config::set_text(const std::string& raw_key, const std::string& text, const std::string& origin) {
  const std::string key = canonical_key(raw_key);
  const Option* option = schema_->find(key);
  if (option == nullptr) throw Error(fmt::format("unknown config key '{}'{}{}", raw_key, where(origin), known_keys_hint(*schema_, key)));
  auto bad = [&] { return Error(fmt::format("config key '{}' must be {}, got '{}'{}", key, type_name(option->type), text, where(origin))); };
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
    case Type::String: return set(key, text, origin);
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
    if (key.rfind(prefix, 0) == 0) value = nullptr;
}

void Config::reset_prefix(const std::string& prefix) {
  for (auto& [key, value] : values_)
    if (key.rfind(prefix, 0) == 0) value = schema_->find(key)->default_value;
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
    if (v.is_boolean()) table->insert(leaf, v.get<bool>());
    else if (v.is_number_integer()) table->insert(leaf, v.get<int64_t>());
    else if (v.is_number()) table->insert(leaf, v.get<double>());
    else table->insert(leaf, v.get<std::string>());
  }
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

std::string Config::canonical_text() const {
  Json out = Json::object();
  for (const auto& [k, v] : values_) {
    const Option* option = schema_->find(k);
    if (option != nullptr && option->hashed && !v.is_null()) out[k] = v;
  }
  return out.dump();
}

}  // namespace cwrf::config
