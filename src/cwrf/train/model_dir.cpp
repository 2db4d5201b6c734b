#include "cwrf/train/model_dir.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/models/registry.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <csignal>
#include <regex>

namespace cwrf::train {

TensorMap model_state(const torch::nn::Module& model) {
  TensorMap state;
  for (const auto& p : model.named_parameters()) state[p.key()] = p.value().detach();
  for (const auto& b : model.named_buffers()) state[b.key()] = b.value().detach();
  return state;
}

void load_model_state(torch::nn::Module& model, const TensorMap& state, const std::string& origin) {
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string& name, torch::Tensor& target) {
    auto it = state.find(name);
    if (it == state.end()) throw Error(fmt::format("{}: no entry for '{}' (a different model?)", origin, name));
    if (it->second.sizes() != target.sizes())
      throw Error(fmt::format("{}: '{}' has shape [{}], the model expects [{}]", origin, name,
                              fmt::join(it->second.sizes(), ", "), fmt::join(target.sizes(), ", ")));
    target.copy_(it->second);
  };
  for (auto& p : model.named_parameters()) assign(p.key(), p.value());
  for (auto& b : model.named_buffers()) assign(b.key(), b.value());
  const size_t expected = model.named_parameters().size() + model.named_buffers().size();
  if (state.size() != expected)
    throw Error(fmt::format("{}: has {} entries, the model has {} (a different model?)", origin, state.size(), expected));
}

bool is_complete_model_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(dir / "metrics.json", ec) && fs::exists(dir / "manifest.json", ec);
}

void remove_stale_staging_dirs(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  static const std::regex staging(R"(.*\.tmp-(\d+)-\d+$)");
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, staging)) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(m[1]));
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // its owner is still running
    fs::remove_all(entry.path(), ec);
  }
}

ModelDir open_model_dir(const fs::path& path) {
  if (!is_complete_model_dir(path))
    throw Error(fmt::format("{} is not a complete model directory (no manifest.json / metrics.json)", path.string()));
  ModelDir dir;
  dir.path = path;
  try {
    dir.manifest = nlohmann::json::parse(read_file(path / "manifest.json"));
    dir.metrics = nlohmann::json::parse(read_file(path / "metrics.json"));
    const auto& m = dir.manifest.at("model");
    dir.spec.name = m.at("name");
    dir.spec.in_channels = m.at("in_channels");
    dir.spec.image_size = m.at("image_size");
    dir.spec.vocab_size = m.value("vocab_size", int64_t{0});  // text models (absent in older manifests)
    dir.spec.seq_len = m.value("seq_len", int64_t{0});
    dir.spec.num_classes = m.at("num_classes");
    dir.spec.width = m.at("width");
    dir.spec.depth = m.at("depth");
    dir.spec.heads = m.at("heads");
    dir.spec.mlp_dim = m.at("mlp_dim");
    dir.spec.patch = m.at("patch");
    dir.spec.norm = m.at("norm");
    dir.spec.dropout = m.at("dropout");
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed manifest or metrics: {}", path.string(), e.what()));
  }
  return dir;
}

models::ClassifierPtr load_model(const ModelDir& dir, const std::string& which) {
  if (which != "final" && which != "init") throw Error("load_model: 'which' must be final or init, got " + which);
  models::ClassifierPtr model = models::make_model(dir.spec);
  const fs::path file = dir.path / (which + ".pt");
  load_model_state(*model, load_tensors(file), file.string());
  return model;
}

}  // namespace cwrf::train
