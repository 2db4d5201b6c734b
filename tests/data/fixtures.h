// Generated fixtures for the data tests: IDX and CIFAR files in their exact binary formats.
#pragma once

#include <torch/types.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cwrf::testing {

// IDX bytes: 00 00 type ndims, big-endian uint32 dims, then the values (uint8 here).
inline std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values,
                             uint8_t type = 0x08) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  out.append(values.begin(), values.end());
  return out;
}

// The same bytes as `gzip` writes them (deflate in a gzip wrapper).
inline std::string gzip_bytes(const std::string& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A CIFAR record: the label byte(s) then 3072 pixel bytes; pixel (c, y, x) = f(record, c, y, x).
inline uint8_t cifar_pixel(int record, int c, int y, int x) {
  return static_cast<uint8_t>((record * 37 + c * 101 + y * 7 + x * 3) % 256);
}

inline std::string cifar_record(const std::vector<uint8_t>& label_bytes, int record) {
  std::string out(label_bytes.begin(), label_bytes.end());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) out.push_back(static_cast<char>(cifar_pixel(record, c, y, x)));
  return out;
}

}  // namespace cwrf::testing
