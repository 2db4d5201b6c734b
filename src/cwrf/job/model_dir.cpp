#include "cwrf/job/model_dir.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/npy.h"
#include "cwrf/data/tokenizer.h"
#include "cwrf/job/keys.h"
#include "cwrf/models/model_state.h"
#include "cwrf/models/registry.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cerrno>
#include <csignal>

namespace cwrf::job {

namespace {

// Bump when the meaning of an artifact changes, so old directories are never reused.
// 2: `device` became a runtime key (no longer hashed).
constexpr int kArtifactFormat = 2;

nlohmann::json spec_json(const models::ModelSpec& s) {
  return {{"name", s.name},       {"in_channels", s.in_channels}, {"image_size", s.image_size},
          {"vocab_size", s.vocab_size}, {"seq_len", s.seq_len},
          {"num_classes", s.num_classes}, {"width", s.width},     {"depth", s.depth},
          {"heads", s.heads},     {"mlp_dim", s.mlp_dim},         {"patch", s.patch},
          {"norm", s.norm},       {"dropout", s.dropout}};
}

models::ModelSpec spec_from_json(const nlohmann::json& m) {
  models::ModelSpec spec;
  spec.name = m.at("name");
  spec.in_channels = m.at("in_channels");
  spec.image_size = m.at("image_size");
  spec.vocab_size = m.value("vocab_size", int64_t{0});  // text models
  spec.seq_len = m.value("seq_len", int64_t{0});
  spec.num_classes = m.at("num_classes");
  spec.width = m.at("width");
  spec.depth = m.at("depth");
  spec.heads = m.at("heads");
  spec.mlp_dim = m.at("mlp_dim");
  spec.patch = m.at("patch");
  spec.norm = m.at("norm");
  spec.dropout = m.at("dropout");
  return spec;
}

// A path as the user may give it ("runs/m/", "runs/m/."), without the trailing separator that
// would leave filename() empty.
fs::path clean(const fs::path& path) {
  fs::path p = path.lexically_normal();
  if (p.has_relative_path() && p.filename().empty()) p = p.parent_path();
  return p;
}

std::string rate_tag(double rate) { return "r" + fmt::format("{:g}", rate * 100.0); }

}  // namespace

bool is_complete_model_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(dir / "metrics.json", ec) && fs::exists(dir / "manifest.json", ec);
}

ModelDir open_model_dir(const fs::path& given) {
  const fs::path path = clean(given);
  if (!is_complete_model_dir(path))
    throw Error(fmt::format("{} is not a complete model directory (no manifest.json / metrics.json)", path.string()));
  ModelDir dir;
  dir.path = path;
  try {
    dir.manifest = nlohmann::json::parse(read_file(path / "manifest.json"));
    dir.metrics = nlohmann::json::parse(read_file(path / "metrics.json"));
    dir.spec = spec_from_json(dir.manifest.at("model"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed manifest or metrics: {}", path.string(), e.what()));
  }
  return dir;
}

models::ClassifierPtr load_model(const ModelDir& dir, const std::string& which) {
  if (which != "final" && which != "init") throw Error("load_model: 'which' must be final or init, got " + which);
  models::ClassifierPtr model = models::make_model(dir.spec);
  const fs::path file = dir.path / (which + ".pt");
  models::load_model_state(*model, load_tensors(file), file.string());
  return model;
}

config::Config model_config(const ModelDir& dir) {
  config::Config config(schema());
  config.merge_json(dir.manifest.at("config"), (dir.path / "manifest.json").string());
  // Where it was trained is not part of what it is: a model trained on cuda:3 is read, scored,
  // rewound and attacked wherever the command that reads it says (its --device), CPU by default.
  config.reset_prefix("device");
  return config;
}

std::string model_hash(const config::Config& resolved, const std::string& data_fingerprint, const std::string& parent) {
  Hasher h;
  h.update(fmt::format("cwrf-model-v{}\n", kArtifactFormat));
  h.update(resolved.canonical_text()).update("\n").update(data_fingerprint).update("\n").update(parent);
  return h.digest();
}

std::string model_dir_name(const config::Config& resolved, const std::string& hash, bool derived) {
  const std::string derivation =
      derived ? fmt::format("-{}-{}", resolved.get_string("cwrf.mode"), rate_tag(resolved.get_float("cwrf.rate"))) : "";
  return fmt::format("{}-{}{}-m{}-{}", resolved.get_string("model.name"), resolved.get_string("defense.name"),
                     derivation, resolved.get_int("split.model"), hash.substr(0, 16));
}

ModelDirWriter::ModelDirWriter(const fs::path& final_dir) : final_(final_dir), staging_(make_staging_dir(final_dir)) {}

ModelDirWriter::~ModelDirWriter() {
  if (published_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void ModelDirWriter::write_manifest(const std::string& kind, const std::string& hash, const std::string& parent,
                                    const config::Config& resolved, const JobData& data, const models::ModelSpec& spec) {
  const nlohmann::json manifest = {{"format", kArtifactFormat},
                                   {"cwrf_version", CWRF_VERSION},
                                   {"kind", kind},
                                   {"hash", hash},
                                   {"parent", parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(parent)},
                                   {"data_fingerprint", data.fingerprint},
                                   {"model", spec_json(spec)},
                                   {"config", resolved.to_json()}};
  write_json("manifest.json", manifest);
}

void ModelDirWriter::write_config(const config::Config& resolved) { write_text("config.toml", resolved.to_toml()); }

void ModelDirWriter::write_tensors(const std::string& file, const TensorMap& tensors) { save_tensors(staging_ / file, tensors); }

void ModelDirWriter::write_membership(const config::Config& config, const ModelSets& sets) {
  save_npy(staging_ / "train_indices.npy", sets.train_rows);
  save_npy(staging_ / "reference_indices.npy", sets.reference_rows);
  save_npy(staging_ / "pool.npy", sets.split.pool);
  save_npy(staging_ / "keep.npy", sets.split.keep);
  const nlohmann::json membership = {{"model", sets.model_index},
                                     {"models", config.get_int("split.models")},
                                     {"split_seed", config.get_int("split.seed")},
                                     {"pool_size", sets.split.pool.size(0)},
                                     {"train_size", sets.train_rows.size(0)},
                                     {"reference_size", sets.reference_rows.size(0)},
                                     {"validation_size", sets.split.validation.size(0)},
                                     {"test_size", sets.test.size()},
                                     {"pool_hash", content_hash(sets.split.pool)},
                                     {"keep_hash", content_hash(sets.split.keep)}};
  write_json("membership.json", membership);
}

void ModelDirWriter::write_vocabulary(const JobData& data) {
  if (data.data.vocabulary) data.data.vocabulary->save(staging_ / "vocab.json");
}

void ModelDirWriter::write_metrics(const nlohmann::json& metrics) { write_json("metrics.json", metrics); }

void ModelDirWriter::write_json(const std::string& file, const nlohmann::json& value) {
  write_text(file, value.dump(2) + "\n");
}

void ModelDirWriter::write_text(const std::string& file, const std::string& text) {
  write_file_atomic(staging_ / file, text);
}

void ModelDirWriter::publish() {
  publish_dir(staging_, final_);
  published_ = true;
}

void remove_stale_staging_dirs(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const auto owner = staging_owner(entry.path().filename().string());
    if (!owner) continue;
    // Another machine's (a shared filesystem): only that machine can tell whether it is alive.
    if (!owner->host.empty() && owner->host != host_name()) continue;
    const pid_t pid = static_cast<pid_t>(owner->pid);
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno == EPERM) continue;  // its owner is still running
    fs::remove_all(entry.path(), ec);
  }
}

}  // namespace cwrf::job
