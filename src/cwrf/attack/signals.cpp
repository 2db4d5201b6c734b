#include "cwrf/attack/signals.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/npy.h"
#include "cwrf/data/batches.h"
#include "cwrf/job/job_data.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>

namespace cwrf::attack {

namespace {

constexpr int kSignalFormat = 1;

int64_t parse_int(const std::string& text, const std::string& query) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(fmt::format("'{}' in '{}' is not an integer", text, query));
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!text.empty() && text.back() == sep) parts.push_back("");
  return parts;
}

// Shifts [B, C, H, W] by dx columns and dy rows, filling with zeros.
torch::Tensor shift(const torch::Tensor& x, int64_t dx, int64_t dy) {
  const int64_t H = x.size(2), W = x.size(3);
  torch::Tensor out = torch::zeros_like(x);
  if (std::abs(dx) >= W || std::abs(dy) >= H) return out;
  using torch::indexing::Slice;
  out.index({Slice(), Slice(), Slice(std::max<int64_t>(dy, 0), H + std::min<int64_t>(dy, 0)),
             Slice(std::max<int64_t>(dx, 0), W + std::min<int64_t>(dx, 0))})
      .copy_(x.index({Slice(), Slice(), Slice(std::max<int64_t>(-dy, 0), H - std::max<int64_t>(dy, 0)),
                      Slice(std::max<int64_t>(-dx, 0), W - std::max<int64_t>(dx, 0))}));
  return out;
}

// Rows (or columns) i − d of a dimension of size `size`, reflected about the first and last index.
torch::Tensor reflected_index(int64_t size, int64_t d) {
  std::vector<int64_t> idx(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    int64_t j = i - d;
    if (j < 0) j = -j;
    if (j >= size) j = 2 * (size - 1) - j;
    idx[static_cast<size_t>(i)] = j;
  }
  return torch::tensor(idx, torch::kLong);
}

torch::Tensor reflect_shift(const torch::Tensor& x, int64_t dx, int64_t dy) {
  const int64_t H = x.size(2), W = x.size(3);
  require(std::abs(dx) < W && std::abs(dy) < H,
          fmt::format("a reflected shift of ({}, {}) must be smaller than the {}x{} image", dx, dy, H, W));
  torch::Tensor out = x;
  if (dy != 0) out = out.index_select(2, reflected_index(H, dy).to(x.device()));
  if (dx != 0) out = out.index_select(3, reflected_index(W, dx).to(x.device()));
  return out.contiguous();
}

config::Config model_config(const ModelInfo& model) { return job::model_config(job::open_model_dir(model.path)); }

struct CacheIndex {
  std::map<std::string, int64_t> row_of_key;
  torch::Tensor logits;
};

// The cached rows that can be reused, or nothing when the cache is missing or inconsistent.
CacheIndex read_cache(const fs::path& dir, int64_t examples, int64_t queries, int64_t classes,
                      const std::function<void(const std::string&)>& log) {
  CacheIndex index;
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir / "signals.json", ec) || !fs::exists(dir / "logits.npy", ec)) return index;
  try {
    const nlohmann::json meta = nlohmann::json::parse(read_file(dir / "signals.json"));
    if (meta.at("format").get<int>() != kSignalFormat) return index;
    torch::Tensor logits = load_npy(dir / "logits.npy");
    const auto keys = meta.at("keys").get<std::vector<std::string>>();
    if (content_hash(logits) != meta.at("logits_hash").get<std::string>() || logits.dim() != 4 ||
        logits.size(0) != static_cast<int64_t>(keys.size()) || logits.size(1) != examples ||
        logits.size(2) != queries || logits.size(3) != classes) {
      if (log) log(fmt::format("signal cache {} does not match its index; recomputing", dir.string()));
      return index;
    }
    for (size_t i = 0; i < keys.size(); ++i) index.row_of_key.emplace(keys[i], static_cast<int64_t>(i));
    index.logits = logits;
  } catch (const std::exception& e) {
    if (log) log(fmt::format("signal cache {} is unreadable ({}); recomputing", dir.string(), e.what()));
    index = CacheIndex{};
  }
  return index;
}

}  // namespace

std::vector<std::string> default_queries(const std::string& model_name) {
  if (models::is_text_model(model_name)) return {"identity"};
  return {"identity", "mirror"};
}

std::vector<std::string> default_queries(const ModelSet& set) {
  require(!set.models.empty(), "no models");
  return default_queries(model_config(set.models.front()).get_string("model.name"));
}

std::vector<std::string> expand_query_presets(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (name != "rmia18") {
      out.push_back(name);
      continue;
    }
    for (bool mirror : {false, true})
      for (int64_t dy : {-1, 0, 1})
        for (int64_t dx : {-1, 0, 1}) {
          if (dx == 0 && dy == 0) out.push_back(mirror ? "mirror" : "identity");
          else out.push_back(fmt::format("{}shift:{}:{}:reflect", mirror ? "mirror+" : "", dx, dy));
        }
  }
  return out;
}

std::vector<Query> parse_queries(const std::vector<std::string>& given) {
  require(!given.empty(), "no queries: give at least one (identity, mirror, shift:DX:DY)");
  const std::vector<std::string> names = expand_query_presets(given);
  std::vector<Query> out;
  for (const std::string& name : names) {
    Query q;
    q.name = name;
    if (name != "identity") {
      for (const std::string& part : split(name, '+')) {
        if (part == "mirror" && !q.mirror) {
          q.mirror = true;
        } else if (part.rfind("shift:", 0) == 0) {
          const auto fields = split(part, ':');
          if (fields.size() != 3 && !(fields.size() == 4 && fields[3] == "reflect"))
            throw Error(fmt::format("'{}' must be shift:DX:DY or shift:DX:DY:reflect", name));
          q.dx = parse_int(fields[1], name);
          q.dy = parse_int(fields[2], name);
          q.reflect = fields.size() == 4;
        } else {
          throw Error(fmt::format("unknown query '{}'; use identity, mirror, shift:DX:DY[:reflect], "
                                  "mirror+shift:DX:DY[:reflect] or rmia18", name));
        }
      }
    }
    if (q.dx == 0 && q.dy == 0) q.reflect = false;  // nothing to fill
    for (const Query& seen : out)
      if (seen.mirror == q.mirror && seen.dx == q.dx && seen.dy == q.dy && seen.reflect == q.reflect)
        throw Error(fmt::format("'{}' repeats '{}'", name, seen.name));
    out.push_back(q);
  }
  return out;
}

std::string query_domain_problem(const std::vector<Query>& queries, const std::string& model_name) {
  if (!models::is_text_model(model_name)) return "";
  for (const Query& q : queries)
    if (!q.is_identity())
      return fmt::format("'{}' transforms images, but {} models read text (use identity)", q.name, model_name);
  return "";
}

torch::Tensor apply_query(const torch::Tensor& images, const Query& q) {
  torch::Tensor x = images;
  if (q.mirror) x = x.flip({3});
  if (q.dx != 0 || q.dy != 0) x = q.reflect ? reflect_shift(x, q.dx, q.dy) : shift(x, q.dx, q.dy);
  return x;
}

SignalOptions default_signal_options() {
  SignalOptions o;
  o.queries = parse_queries({"identity", "mirror"});
  return o;
}

torch::Tensor query_logits(models::Classifier& model, const torch::Tensor& inputs, const std::vector<Query>& queries,
                           int64_t classes, int64_t batch_size, const torch::Device& device, bool channels_last,
                           const std::string& who, const std::function<void()>& progress) {
  require(batch_size > 0, fmt::format("signal batch size must be > 0, got {}", batch_size));
  const int64_t N = inputs.size(0), Q = static_cast<int64_t>(queries.size());
  const bool image = inputs.dim() == 4;
  torch::Tensor out = torch::empty({N, Q, classes}, torch::kFloat32);
  c10::InferenceMode guard;
  for (int64_t q = 0; q < Q; ++q) {
    for (int64_t start = 0; start < N; start += batch_size) {
      const int64_t end = std::min(N, start + batch_size);
      torch::Tensor x = inputs.slice(0, start, end);
      if (image) x = apply_query(x, queries[static_cast<size_t>(q)]);
      x = x.to(device);
      if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
      const torch::Tensor z = model.forward(x).to(torch::kCPU, torch::kFloat32);
      require(z.dim() == 2 && z.size(1) == classes,
              fmt::format("{}: the model gives {} outputs, the data has {} classes", who, z.size(-1), classes));
      require(torch::isfinite(z).all().item<bool>(),
              fmt::format("{}: the model gives non-finite logits (a diverged training run?)", who));
      out.index_put_({torch::indexing::Slice(start, end), q}, z);
      if (progress) progress();
    }
  }
  return out;
}

const job::JobData& attack_job_data(const config::Config& model_config) {
  static job::JobDataCache cache;
  return cache.get(model_config);
}

std::string signal_key(const ModelSet& set, size_t model, const std::vector<Query>& queries) {
  const ModelInfo& info = set.models.at(model);
  Hasher h;
  h.update(fmt::format("cwrf-signals-v{}\n", kSignalFormat)).update(info.hash).update("\n");
  h.update(content_hash(read_file(info.path / "final.pt"))).update("\n");
  for (const Query& q : queries) h.update(fmt::format("{}:{}:{};{}", q.mirror, q.dx, q.dy, q.reflect ? "r;" : ""));
  h.update("\n").update(set.pool_hash).update("\n").update(set.data_fingerprint);
  return h.digest();
}

Signals load_signals(const ModelSet& set, const SignalOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  require(!set.models.empty(), "load_signals: no models");
  require(options.batch_size > 0, fmt::format("signal batch size must be > 0, got {}", options.batch_size));
  const std::vector<Query>& queries = options.queries;
  require(!queries.empty(), "no queries: give at least one");
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };

  // The data: the first model's config names it; every model shares the fingerprint (model_set).
  config::Config config = model_config(set.models.front());
  config.set("device", options.device);
  const torch::Device device = job::resolve_device(config);
  std::optional<c10::DeviceGuard> device_guard;  // a GPU other than cuda:0 is the current one for this job
  if (device.is_cuda()) device_guard.emplace(device);
  const job::JobData& job = attack_job_data(config);
  require(job.fingerprint == set.data_fingerprint,
          fmt::format("{}: the dataset files changed since the model was trained (data fingerprint {} now, {} in "
                      "manifest.json)", (set.models.front().path / "config.toml").string(), job.fingerprint,
                      set.data_fingerprint));
  require(set.pool.numel() == 0 || set.pool.max().item<int64_t>() < job.data.train.size(),
          "pool.npy indexes rows beyond the training file");
  const bool image = job.data.train.is_image();
  for (const Query& q : queries)
    require(image || q.is_identity(),
            fmt::format("query '{}' transforms images, but {} is not an image dataset (use identity)", q.name,
                        job.data.train.name));

  Signals out;
  const int64_t M = static_cast<int64_t>(set.models.size()), N = set.pool.size(0),
                Q = static_cast<int64_t>(queries.size()), C = job.data.train.num_classes;
  out.num_classes = C;
  out.labels = job.data.train.labels.index_select(0, set.pool).to(torch::kLong).contiguous();
  out.logits = torch::empty({M, N, Q, C}, torch::kFloat32);
  for (size_t m = 0; m < set.models.size(); ++m) out.keys.push_back(signal_key(set, m, queries));

  const CacheIndex cache = read_cache(options.cache_dir, N, Q, C, options.log);
  std::vector<size_t> todo;
  for (size_t m = 0; m < set.models.size(); ++m) {
    auto it = cache.row_of_key.find(out.keys[m]);
    if (it != cache.row_of_key.end()) {
      out.logits[static_cast<int64_t>(m)].copy_(cache.logits[it->second]);
      ++out.reused;
    } else {
      todo.push_back(m);
    }
  }
  if (!todo.empty()) {
    // The pool goes to the device once; queries transform it there, and each model's logits come
    // back in one copy (not one synchronising copy per batch).
    data::Prepared pool = data::prepare(job.data.train, set.pool, job.normalization);
    pool.inputs = pool.inputs.to(device);
    const int64_t batches = (N + options.batch_size - 1) / options.batch_size;
    const int64_t total = static_cast<int64_t>(todo.size()) * Q * batches;
    int64_t done = 0;
    for (size_t m : todo) {
      const ModelInfo& info = set.models[m];
      const config::Config mc = model_config(info);
      const bool channels_last = mc.get_string("channels_last") == "on" && image;
      models::ClassifierPtr model = job::load_model(job::open_model_dir(info.path), "final");
      model->to(device);
      if (channels_last) train::to_channels_last(*model);
      model->eval();
      out.logits[static_cast<int64_t>(m)].copy_(
          query_logits(*model, pool.inputs, queries, C, options.batch_size, device, channels_last, info.path.string(),
                       [&] {
                         if (options.progress) options.progress(++done, total, info.path.filename().string());
                       }));
      ++out.computed;
    }
    if (!options.cache_dir.empty()) {
      save_npy(options.cache_dir / "logits.npy", out.logits);
      nlohmann::json meta = {{"format", kSignalFormat},
                             {"shape", {M, N, Q, C}},
                             {"queries", nlohmann::json::array()},
                             {"pool_hash", set.pool_hash},
                             {"data_fingerprint", set.data_fingerprint},
                             {"keys", out.keys},
                             {"models", nlohmann::json::array()},
                             {"logits_hash", content_hash(out.logits)}};
      for (const Query& q : queries) meta["queries"].push_back(q.name);
      for (const ModelInfo& info : set.models) meta["models"].push_back(info.path.string());
      write_file_atomic(options.cache_dir / "signals.json", meta.dump(2) + "\n");
    }
  }
  log(fmt::format("signals: {} models x {} examples x {} queries ({} computed, {} from the cache)", M, N, Q,
                  out.computed, out.reused));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace cwrf::attack
