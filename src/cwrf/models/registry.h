// Building a model by name, and the defaults behind a spec's zero fields.
#pragma once

#include "cwrf/models/classifier.h"

#include <string>
#include <vector>

namespace cwrf::models {

// Fills the zero / empty knobs of `spec` with the architecture's defaults, so the result
// fully determines the architecture (it goes into the model's config hash).
// Throws Error for an unknown name (listing the known ones) or an invalid knob.
ModelSpec resolve(const ModelSpec& spec);

// Builds a freshly initialised model (initialisation draws from torch's global generator:
// seed it first with torch::manual_seed).
ClassifierPtr make_model(const ModelSpec& spec);

std::vector<std::string> model_names();

// True for models that read token ids (text) rather than images.
bool is_text_model(const std::string& name);

int64_t count_parameters(const torch::nn::Module& module);

}  // namespace cwrf::models
