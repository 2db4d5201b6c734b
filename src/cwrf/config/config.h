// Typed, flat configuration shared by every command: a schema of known keys (type,
// default, help, accepted values) and a map of dotted keys ("data.name", "model.width", "lr")
// to values, filled from defaults, then a TOML file, then --set key=value overrides.
//
// A schema entry validates its values when they are set (type, choices, bounds, a check of
// its own), so a bad value fails where it was written, before any work. Every value remembers
// where it came from (a file, `--set ...`, a command-line flag), and errors name that: the
// flag the user typed (`--rmia-gamma must be > 0`), or the key and the file.
//
// Two keys are "named groups": `model = "cnn"` means `model.name = "cnn"`, and likewise
// `defense`, so a TOML file may say either `model = "vit"` or `[model] name = "vit"`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace cwrf::config {

using Json = nlohmann::json;

enum class Type { Bool, Int, Float, String, StringList, FloatList };

// Numeric bounds of an Int or Float key, or of every item of a FloatList.
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;  // true: the bound itself is excluded
  bool unbounded() const;
  std::string describe() const;  // "> 0", ">= 1", "in [0, 1]", "in (0, 1)"
};
Bounds at_least(double min);                  // [min, ∞)
Bounds greater_than(double min);              // (min, ∞)
Bounds closed(double min, double max);        // [min, max]
Bounds open(double min, double max);          // (min, max)
Bounds half_open(double min, double max);     // [min, max)

struct Option {
  std::string key;
  Type type = Type::String;
  Json default_value;  // null = no default: the stage that owns the key resolves it (e.g. a preset)
  std::string help;
  std::vector<std::string> choices;  // strings (or each item of a StringList): the accepted values (empty = any)
  bool hashed = true;                // false for keys that cannot change results (threads)
  Bounds bounds;                     // Int / Float / FloatList items
  // Further validation of a whole value already of the right type: "" when valid, else what is
  // wrong ("'shift' must be shift:DX:DY"), completed into an error naming the key or flag.
  std::function<std::string(const Json&)> check;
  std::string flag;  // the command-line flag a command generates for this key (empty: none)
  // false: a hashed key that is left out of the hash while it has its default value, so that a
  // key added later (amp) keeps the hashes of the models trained before it existed.
  bool hash_default = true;
};

class Schema {
 public:
  void add(Option option);  // throws std::logic_error on a duplicate key
  void add(const std::vector<Option>& options);
  const Option* find(const std::string& key) const;
  const std::vector<Option>& options() const { return options_; }

 private:
  std::vector<Option> options_;
  std::map<std::string, size_t> index_;
};

// "model" -> "model.name", "defense" -> "defense.name", otherwise unchanged.
std::string canonical_key(const std::string& key);

// True when `origin` is a command-line flag ("--rmia-gamma"), as opposed to a file or `--set k=v`.
bool is_flag_origin(const std::string& origin);

class Config {
 public:
  explicit Config(const Schema& schema);  // starts from the schema's defaults

  // Sets a value, checking the key exists and the value has the key's type (ints are
  // accepted for floats; a comma-separated string for a list) and passes the key's
  // validation. `origin` names where the value came from, for error messages.
  void set(const std::string& key, const Json& value, const std::string& origin = "");
  // Parses `text` according to the key's type ("--set lr=1e-3"; lists: "a,b,c").
  void set_text(const std::string& key, const std::string& text, const std::string& origin = "--set");
  // "key=value" as given on the command line.
  void set_assignment(const std::string& assignment);
  // Every key of a TOML file (nested tables flatten to dotted keys, arrays are lists).
  void merge_toml_file(const std::filesystem::path& path);
  void merge_toml_string(const std::string& text, const std::string& origin);

  // Sets every key of a flat {key: value} object (e.g. a model's effective config).
  void merge_json(const Json& flat, const std::string& origin);
  // Resets every key under `prefix` (e.g. "cwrf.") to null, so it is neither written nor hashed.
  void clear_prefix(const std::string& prefix);
  // Resets every key under `prefix` to its schema default.
  void reset_prefix(const std::string& prefix);
  // Keys under `prefix` set to a value other than the schema default (cleared keys are not).
  std::vector<std::string> changed_keys(const std::string& prefix) const;

  bool has(const std::string& key) const;  // set to a non-null value
  const Json& get(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  std::vector<std::string> get_strings(const std::string& key) const;
  std::vector<double> get_floats(const std::string& key) const;

  // Where the key's value came from ("" for its default).
  std::string origin(const std::string& key) const;
  // How an error names the key as the user wrote it: the flag ("--targets"), or
  // "config key 'attack.targets' (from exp.toml [attack])", or "config key 'attack.targets'".
  std::string label(const std::string& key) const;

  const Schema& schema() const { return *schema_; }
  const std::map<std::string, Json>& values() const { return values_; }

  // Flat {key: value} of every non-null value, sorted by key.
  Json to_json() const;
  // The same, nested into TOML tables, e.g. for the model directory's config.toml.
  std::string to_toml() const;
  // Canonical text of the hashed keys, the input of content hashes.
  std::string canonical_text() const;

 private:
  const Schema* schema_;
  std::map<std::string, Json> values_;
  std::map<std::string, std::string> origins_;
};

// A value as text, the way a user writes it on the command line ("0.3", "lira,rmia", "true").
std::string value_text(const Json& value);

}  // namespace cwrf::config
