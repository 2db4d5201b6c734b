#include "cwrf/common/npy.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <cstring>
#include <regex>

namespace cwrf {

namespace {

const char kMagic[] = "\x93NUMPY";

std::string descr_of(torch::ScalarType type) {
  switch (type) {
    case torch::kBool: return "|b1";
    case torch::kUInt8: return "|u1";
    case torch::kInt32: return "<i4";
    case torch::kInt64: return "<i8";
    case torch::kFloat32: return "<f4";
    case torch::kFloat64: return "<f8";
    default: throw Error(fmt::format("cannot store dtype {} in .npy", c10::toString(type)));
  }
}

torch::ScalarType type_of(const std::string& descr, const std::string& origin) {
  if (descr == "|b1") return torch::kBool;
  if (descr == "|u1") return torch::kUInt8;
  if (descr == "<i4") return torch::kInt32;
  if (descr == "<i8") return torch::kInt64;
  if (descr == "<f4") return torch::kFloat32;
  if (descr == "<f8") return torch::kFloat64;
  throw Error(fmt::format("{}: unsupported .npy dtype '{}'", origin, descr));
}

}  // namespace

std::string encode_npy(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  std::string shape = "(";
  for (int64_t d : t.sizes()) shape += fmt::format("{},", d);
  if (t.dim() > 1) shape.pop_back();  // (3,) for 1-D, (2,3) otherwise, () for scalars
  shape += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   descr_of(t.scalar_type()), shape);
  // Pad so that magic(6) + version(2) + length(2) + header + '\n' is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

torch::Tensor decode_npy(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0)
    throw Error(fmt::format("{}: not a .npy file (bad magic)", origin));
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(fmt::format("{}: truncated .npy header", origin));
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    offset = 12;
  } else {
    throw Error(fmt::format("{}: unsupported .npy version {}", origin, major));
  }
  if (bytes.size() < offset + header_len) throw Error(fmt::format("{}: truncated .npy header", origin));
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    throw Error(fmt::format("{}: .npy header has no descr", origin));
  const torch::ScalarType type = type_of(m[1], origin);
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True")))
    throw Error(fmt::format("{}: Fortran-ordered .npy arrays are not supported", origin));
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw Error(fmt::format("{}: .npy header has no shape", origin));
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  std::sregex_iterator it(dims.begin(), dims.end(), number), end;
  for (; it != end; ++it) shape.push_back(std::stoll(it->str()));
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(type));
  const size_t payload = static_cast<size_t>(out.numel()) * out.element_size();
  const size_t data_at = offset + header_len;
  if (bytes.size() - data_at != payload)
    throw Error(fmt::format("{}: .npy payload has {} bytes, shape needs {} (truncated or corrupt)", origin,
                            bytes.size() - data_at, payload));
  if (payload > 0) std::memcpy(out.data_ptr(), bytes.data() + data_at, payload);
  return out;
}

void save_npy(const std::filesystem::path& path, const torch::Tensor& tensor) {
  write_file_atomic(path, encode_npy(tensor));
}

torch::Tensor load_npy(const std::filesystem::path& path) { return decode_npy(read_file(path), path.string()); }

}  // namespace cwrf
