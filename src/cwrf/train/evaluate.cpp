#include "cwrf/train/evaluate.h"

#include <torch/torch.h>

namespace cwrf::train {

torch::Tensor predict_logits(models::Classifier& model, const data::Prepared& set, int64_t batch_size,
                             bool channels_last) {
  const bool was_training = model.is_training();
  model.eval();
  c10::InferenceMode guard;
  std::vector<torch::Tensor> chunks;
  const auto device = set.inputs.device();
  for (int64_t start = 0; start < set.size(); start += batch_size) {
    const int64_t end = std::min(set.size(), start + batch_size);
    torch::Tensor x = set.inputs.slice(0, start, end);
    if (channels_last && x.dim() == 4) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    chunks.push_back(model.forward(x).to(torch::kFloat32));
  }
  model.train(was_training);
  if (chunks.empty()) return torch::empty({0, set.num_classes}, torch::TensorOptions().device(device));
  return torch::cat(chunks);
}

EvalResult evaluate(models::Classifier& model, const data::Prepared& set, int64_t batch_size, bool channels_last) {
  EvalResult result;
  result.count = set.size();
  if (result.count == 0) return result;
  c10::InferenceMode guard;
  torch::Tensor logits = predict_logits(model, set, batch_size, channels_last);
  torch::Tensor labels = set.labels.to(logits.device());
  result.loss = torch::nn::functional::cross_entropy(logits, labels).item<double>();
  result.accuracy = logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
  return result;
}

}  // namespace cwrf::train
