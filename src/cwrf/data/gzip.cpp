#include "cwrf/data/gzip.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace cwrf::data {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

namespace {

// gzip's trailer stores the uncompressed size mod 2^32: a good first guess for the output
// buffer. A truncated file ends in arbitrary bytes, so the guess is capped.
size_t initial_capacity(std::string_view bytes) {
  size_t guess = 0;
  if (bytes.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(bytes.data() + bytes.size() - 4);
    guess = static_cast<size_t>(t[0]) | static_cast<size_t>(t[1]) << 8 | static_cast<size_t>(t[2]) << 16 |
            static_cast<size_t>(t[3]) << 24;
  }
  size_t cap = 16 * bytes.size() + (1 << 16);
  return std::max<size_t>(std::min(guess, cap), 1 << 16);
}

struct Inflater {
  z_stream zs{};
  bool open = false;
  ~Inflater() {
    if (open) inflateEnd(&zs);
  }
};

}  // namespace

std::string gunzip(std::string_view bytes, const std::string& origin) {
  Inflater inflater;
  // 15 + 16: a gzip wrapper (not raw deflate, not zlib), 32 KiB window.
  if (inflateInit2(&inflater.zs, 15 + 16) != Z_OK) throw Error(fmt::format("{}: cannot start gzip decompression", origin));
  inflater.open = true;
  z_stream& zs = inflater.zs;

  std::string out(initial_capacity(bytes), '\0');
  size_t consumed = 0;
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t in_chunk = std::min<size_t>(bytes.size() - consumed, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (consumed == bytes.size()) break;
      // Another gzip member follows (what `cat a.gz b.gz` makes); gzip -d reads them all.
      if (!is_gzip(bytes.substr(consumed)))
        throw Error(fmt::format("{}: {} bytes of trailing garbage after the gzip stream", origin,
                                bytes.size() - consumed));
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // output full: grow and go on
    if (rc == Z_BUF_ERROR && consumed == bytes.size())
      throw Error(fmt::format("{}: truncated gzip stream (it ends after {} compressed bytes, {} decompressed)",
                              origin, bytes.size(), produced));
    throw Error(fmt::format("{}: corrupt gzip stream ({})", origin, zs.msg ? zs.msg : "zlib error"));
  }
  out.resize(produced);
  return out;
}

std::string read_maybe_gzip(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  if (!is_gzip(bytes)) return bytes;
  return gunzip(bytes, path.string());
}

}  // namespace cwrf::data
