// Base64 (RFC 4648, standard alphabet, padded): for figures embedded in a self-contained HTML report.
#pragma once

#include <string>
#include <string_view>

namespace cwrf {

std::string base64_encode(std::string_view bytes);

}  // namespace cwrf
