// File helpers with the project's error and durability rules: every failure names the
// path, and writes are atomic (temp file in the same directory, fsync, rename) so a
// crash or a full disk never leaves a half-written artifact under the final name.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cwrf {

namespace fs = std::filesystem;

// Reads a whole file; throws Error naming the path if it is missing or unreadable.
std::string read_file(const fs::path& path);

// Writes `bytes` to `path` atomically. Creates missing parent directories.
void write_file_atomic(const fs::path& path, std::string_view bytes);

// A new empty directory next to `final_path` (same filesystem), named
// "<final>.tmp-<pid>-<n>", for building a whole artifact directory before an atomic rename.
fs::path make_staging_dir(const fs::path& final_path);

// Renames a finished staging directory to its final name. If another process published
// the same (content-addressed) directory first, the staging copy is discarded.
void publish_dir(const fs::path& staging, const fs::path& final_path);

}  // namespace cwrf
