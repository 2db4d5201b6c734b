// gzip decompression for data files shipped compressed (IDX .gz and friends).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cwrf::data {

// True when `bytes` start with the gzip magic 1f 8b.
bool is_gzip(std::string_view bytes);

// Decompresses a whole gzip stream (several members are concatenated, as gzip does).
// Throws Error naming `origin` for a corrupt or truncated stream.
std::string gunzip(std::string_view bytes, const std::string& origin);

// The file's contents, decompressed when they are gzip (detected by content, not the name).
std::string read_maybe_gzip(const std::filesystem::path& path);

}  // namespace cwrf::data
