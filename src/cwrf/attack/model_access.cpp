#include "cwrf/attack/model_access.h"

#include "cwrf/common/error.h"
#include "cwrf/common/npy.h"
#include "cwrf/job/job_data.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::attack {

ModelAccess::ModelAccess(const ModelSet& set, std::vector<Query> queries, std::string device, int64_t batch_size)
    : set_(set), queries_(std::move(queries)), device_(std::move(device)), batch_size_(batch_size) {
  require(!set_.models.empty(), "ModelAccess: no models");
}

config::Config ModelAccess::model_config(int64_t m) const {
  return job::model_config(job::open_model_dir(set_.models.at(static_cast<size_t>(m)).path));
}

models::ModelSpec ModelAccess::model_spec(int64_t m) const {
  return job::open_model_dir(set_.models.at(static_cast<size_t>(m)).path).spec;
}

torch::Device ModelAccess::device() const {
  config::Config c = model_config(0);
  c.set("device", device_);
  return job::resolve_device(c);
}

const job::JobData& ModelAccess::data() {
  if (data_ == nullptr) {
    data_ = &attack_job_data(model_config(0));
    require(data_->fingerprint == set_.data_fingerprint,
            fmt::format("{}: the dataset files changed since the model was trained", set_.models.front().path.string()));
  }
  return *data_;
}

bool ModelAccess::image_data() { return data().data.train.is_image(); }

const data::Prepared& ModelAccess::pool() {
  if (!pool_.inputs.defined()) pool_ = data::prepare(data().data.train, set_.pool, data().normalization);
  return pool_;
}

torch::Tensor ModelAccess::pool_images() {
  const data::Dataset& train = data().data.train;
  if (!train.is_image()) return {};
  return train.inputs.index_select(0, set_.pool).contiguous();
}

data::Prepared ModelAccess::reference_set(int64_t m) {
  const auto& path = set_.models.at(static_cast<size_t>(m)).path;
  const torch::Tensor rows = load_npy(path / "reference_indices.npy").to(torch::kLong).contiguous();
  require(rows.dim() == 1 && rows.numel() > 0,
          fmt::format("{}: reference_indices.npy is empty: the model has no known non-members (data.ref_size)",
                      path.string()));
  return data::prepare(data().data.train, rows, data().normalization);
}

torch::Tensor ModelAccess::logits(int64_t m, const torch::Tensor& inputs) {
  const ModelInfo& info = set_.models.at(static_cast<size_t>(m));
  const config::Config mc = model_config(m);
  const bool channels_last = mc.get_string("channels_last") == "on" && inputs.dim() == 4;
  models::ClassifierPtr model = job::load_model(job::open_model_dir(info.path), "final");
  const torch::Device dev = device();
  model->to(dev);
  if (channels_last) train::to_channels_last(*model);
  model->eval();
  return query_logits(*model, inputs, queries_, data().data.train.num_classes, batch_size_, dev, channels_last,
                      info.path.string());
}

}  // namespace cwrf::attack
