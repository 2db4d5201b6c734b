// Errors caused by what the user controls: a file, a config key, a value.
// The CLI prints the message as one line and exits non-zero, so the message must
// name the culprit (the path, the key, the value) and say what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace cwrf {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error(message) when `condition` is false. Build the message lazily where it is costly.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace cwrf
