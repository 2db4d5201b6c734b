// Content hashes (XXH3, 128 bit) for naming artifacts by what determines them.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <string_view>

namespace cwrf {

// Incremental hasher; digest() gives 32 lowercase hex characters.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& update(std::string_view bytes);
  // Hashes dtype, shape and the values (in contiguous row-major order).
  Hasher& update(const torch::Tensor& tensor);
  std::string digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string content_hash(std::string_view bytes);
std::string content_hash(const torch::Tensor& tensor);

}  // namespace cwrf
