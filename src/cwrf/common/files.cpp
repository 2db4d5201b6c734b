#include "cwrf/common/files.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace cwrf {

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(fmt::format("file not found: {}", path.string()));
  if (fs::is_directory(path, ec)) throw Error(fmt::format("expected a file, found a directory: {}", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(fmt::format("cannot read {}", path.string()));
  return std::move(buffer).str();
}

namespace {

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return fmt::format(".tmp-{}-{}-{}", host_name(), ::getpid(), counter++);
}

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw Error(fmt::format("cannot create directory {}: {}", path.parent_path().string(), ec.message()));
  }
  fs::path temp = path;
  temp += unique_suffix();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("cannot create {}: {}", temp.string(), std::strerror(errno)));
  try {
    write_all(fd, bytes, path);
    if (::fsync(fd) != 0) throw Error(fmt::format("cannot flush {}: {}", path.string(), std::strerror(errno)));
  } catch (...) {
    ::close(fd);
    fs::remove(temp, ec);
    throw;
  }
  if (::close(fd) != 0) {
    fs::remove(temp, ec);
    throw Error(fmt::format("cannot close {}: {}", path.string(), std::strerror(errno)));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    fs::remove(temp, ec);
    throw Error(fmt::format("cannot rename {} to {}: {}", temp.string(), path.string(), std::strerror(err)));
  }
}

const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return std::string("unknown-host");
    std::string h = buffer;
    for (char& c : h)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    return h;
  }();
  return name;
}

std::optional<StagingOwner> staging_owner(const std::string& name) {
  static const std::regex with_host(R"(.*\.tmp-(.+)-(\d+)-\d+$)");
  static const std::regex without_host(R"(.*\.tmp-(\d+)-\d+$)");
  std::smatch m;
  try {
    if (std::regex_match(name, m, with_host)) return StagingOwner{m[1].str(), std::stol(m[2].str())};
    if (std::regex_match(name, m, without_host)) return StagingOwner{"", std::stol(m[1].str())};
  } catch (const std::out_of_range&) {  // digits, but no pid
  }
  return std::nullopt;
}

fs::path make_staging_dir(const fs::path& final_path) {
  fs::path staging = final_path;
  staging += unique_suffix();
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw Error(fmt::format("cannot create directory {}: {}", staging.string(), ec.message()));
  return staging;
}

void publish_dir(const fs::path& staging, const fs::path& final_path) {
  std::error_code ec;
  if (fs::exists(final_path, ec)) {  // someone else finished the same content first
    fs::remove_all(staging, ec);
    return;
  }
  fs::rename(staging, final_path, ec);
  if (ec) {
    if (fs::exists(final_path)) {
      fs::remove_all(staging, ec);
      return;
    }
    throw Error(fmt::format("cannot rename {} to {}: {}", staging.string(), final_path.string(), ec.message()));
  }
}

}  // namespace cwrf
