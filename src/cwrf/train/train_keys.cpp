#include "cwrf/train/train_keys.h"

#include "cwrf/train/objectives/registry.h"

namespace cwrf::train {

using config::Type;

std::vector<config::Option> train_keys() {
  std::vector<config::Option> keys = {
      {"epochs", Type::Int, 100, "training epochs (paper: 100)", {}, true, config::at_least(1)},
      {"batch_size", Type::Int, 256, "mini-batch size", {}, true, config::at_least(1)},
      {"lr", Type::Float, 1e-3, "initial learning rate", {}, true, config::greater_than(0)},
      {"lr_schedule", Type::String, "cosine", "per-step schedule", {"cosine", "constant"}},
      {"weight_decay", Type::Float, 5e-4, "Adam L2 weight decay", {}, true, config::at_least(0)},
      {"adam.beta1", Type::Float, 0.9, "Adam β1", {}, true, config::half_open(0, 1)},
      {"adam.beta2", Type::Float, 0.999, "Adam β2", {}, true, config::half_open(0, 1)},
      {"adam.eps", Type::Float, 1e-8, "Adam ε", {}, true, config::greater_than(0)},
      {"seed", Type::Int, 0, "seed of the model's initialisation, batch order and augmentation"},
      // Changes the weights (rounding), so it is hashed; "off" is left out of the hash, as before the key existed.
      {"amp", Type::String, "off",
       "mixed precision: bf16 runs training's forward passes under autocast (CPU or CUDA) with float32 master "
       "weights; evaluation, scores, masks and attacks stay float32",
       {"off", "bf16"}, true, {}, {}, "", /*hash_default=*/false},
      {"defense.name", Type::String, "ce", "training objective (ce = no defense)", objective_names()},
      // Do not change what is computed, only how fast or what is logged.
      {"channels_last", Type::String, "auto", "NHWC convolutions (auto: on for conv models)", {"auto", "on", "off"}, false},
      {"eval_every", Type::Int, 1, "evaluate the test set every n epochs (0: only once, for the final metrics)", {}, false, config::at_least(0)},
      {"profile", Type::Bool, false, "time every operator and phase of training into the model directory's profile.md/json", {}, false},
  };
  for (const config::Option& o : objective_options()) keys.push_back(o);
  return keys;
}

TrainOptions train_options(const config::Config& c) {
  TrainOptions o;
  o.epochs = c.get_int("epochs");
  o.batch_size = c.get_int("batch_size");
  o.lr = c.get_float("lr");
  o.schedule = c.get_string("lr_schedule");
  o.adam.beta1 = c.get_float("adam.beta1");
  o.adam.beta2 = c.get_float("adam.beta2");
  o.adam.eps = c.get_float("adam.eps");
  o.adam.weight_decay = c.get_float("weight_decay");
  o.eval_every = c.get_int("eval_every");
  o.amp = parse_amp(c.get_string("amp"));
  o.profile = c.get_bool("profile");
  return o;
}

}  // namespace cwrf::train
