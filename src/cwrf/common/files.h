// File helpers with the project's error and durability rules: every failure names the
// path, and writes are atomic (temp file in the same directory, fsync, rename) so a
// crash or a full disk never leaves a half-written artifact under the final name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cwrf {

namespace fs = std::filesystem;

// Reads a whole file; throws Error naming the path if it is missing or unreadable.
std::string read_file(const fs::path& path);

// Writes `bytes` to `path` atomically. Creates missing parent directories.
void write_file_atomic(const fs::path& path, std::string_view bytes);

// A new empty directory next to `final_path` (same filesystem), named
// "<final>.tmp-<host>-<pid>-<n>", for building a whole artifact directory before an atomic
// rename. Temporary files of write_file_atomic carry the same suffix. The host is in the name
// because on a filesystem shared by several machines a pid means nothing on another one: two
// processes with the same pid on two nodes must not share a temporary name, and only the
// machine that made a staging directory can tell whether its owner is still alive.
fs::path make_staging_dir(const fs::path& final_path);

// This machine's name as those suffixes carry it: gethostname(), every character outside
// [A-Za-z0-9._-] replaced by '_' (the pid and counter after it are digits, so the name splits
// back unambiguously).
const std::string& host_name();

// Who made a staging directory or temporary file, from its name ("x.tmp-<host>-<pid>-<n>").
// Names from before the host was recorded ("x.tmp-<pid>-<n>") give an empty host.
struct StagingOwner {
  std::string host;
  long pid = 0;
};
std::optional<StagingOwner> staging_owner(const std::string& name);

// Renames a finished staging directory to its final name. If another process published
// the same (content-addressed) directory first, the staging copy is discarded.
void publish_dir(const fs::path& staging, const fs::path& final_path);

}  // namespace cwrf
