#include "cwrf/common/hash.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <stdexcept>

namespace cwrf {

struct Hasher::State {
  XXH3_state_t* xxh = nullptr;
};

Hasher::Hasher() : state_(std::make_unique<State>()) {
  state_->xxh = XXH3_createState();
  if (state_->xxh == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(state_->xxh);
}

Hasher::~Hasher() { XXH3_freeState(state_->xxh); }

Hasher& Hasher::update(std::string_view bytes) {
  XXH3_128bits_update(state_->xxh, bytes.data(), bytes.size());
  return *this;
}

Hasher& Hasher::update(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  update(std::string(c10::toString(t.scalar_type())));
  for (int64_t d : t.sizes()) update(fmt::format(",{}", d));
  update(";");
  update(std::string_view(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()));
  return *this;
}

std::string Hasher::digest() const {
  XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::string content_hash(std::string_view bytes) { return Hasher().update(bytes).digest(); }
std::string content_hash(const torch::Tensor& tensor) { return Hasher().update(tensor).digest(); }

}  // namespace cwrf
