#include "cwrf/data/png.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>
#include <png.h>
#include <torch/torch.h>

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace cwrf::data {

namespace {

// Everything libpng's error path touches. libpng reports errors by longjmp (it is C), so the
// state lives here, behind a pointer: nothing in decode() is clobbered by the jump, and no C++
// destructor is skipped (decode() has no objects with destructors; the caller frees this).
struct Decode {
  std::FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  unsigned char* pixels = nullptr;  // HWC RGB, malloc'd
  png_bytep* rows = nullptr;        // malloc'd
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  char message[256] = {};
};

void on_error(png_structp png, png_const_charp message) {
  auto* d = static_cast<Decode*>(png_get_error_ptr(png));
  std::snprintf(d->message, sizeof d->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (e.g. "iCCP: known incorrect sRGB profile", common in scraped images) would print
// to stderr once per image; they do not affect the pixels.
void on_warning(png_structp, png_const_charp) {}

void fail(Decode* d, const char* message) { std::snprintf(d->message, sizeof d->message, "%s", message); }

// Decodes d->file (positioned after the 8 signature bytes) into d->pixels. Returns false with
// d->message set on failure. Must hold no C++ objects: a libpng error longjmps to the setjmp.
bool decode(Decode* d) {
  d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, on_error, on_warning);
  if (d->png == nullptr) return fail(d, "cannot create the libpng read struct"), false;
  d->info = png_create_info_struct(d->png);
  if (d->info == nullptr) return fail(d, "cannot create the libpng info struct"), false;
  if (setjmp(png_jmpbuf(d->png))) return false;

  png_init_io(d->png, d->file);
  png_set_sig_bytes(d->png, 8);
  png_read_info(d->png, d->info);
  const int color_type = png_get_color_type(d->png, d->info);
  const int bit_depth = png_get_bit_depth(d->png, d->info);
  // No gamma call anywhere: libpng then leaves the stored values as they are (Pillow does too).
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(d->png);  // also expands tRNS to alpha
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(d->png);
  if (bit_depth == 16) png_set_strip_16(d->png);  // high byte, as Pillow's 48-bit RGB rawmode
  if ((color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(d->png, d->info, PNG_INFO_tRNS) != 0)
    png_set_strip_alpha(d->png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(d->png);
  png_set_interlace_handling(d->png);
  png_read_update_info(d->png, d->info);

  d->width = png_get_image_width(d->png, d->info);
  d->height = png_get_image_height(d->png, d->info);
  if (png_get_channels(d->png, d->info) != 3 || png_get_bit_depth(d->png, d->info) != 8 ||
      png_get_rowbytes(d->png, d->info) != static_cast<size_t>(d->width) * 3)
    return fail(d, "unsupported layout: the transforms did not yield 8-bit RGB"), false;
  const size_t row_bytes = static_cast<size_t>(d->width) * 3;
  d->pixels = static_cast<unsigned char*>(std::malloc(row_bytes * d->height));
  d->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * d->height));
  if (d->pixels == nullptr || d->rows == nullptr) return fail(d, "out of memory for the image"), false;
  for (png_uint_32 y = 0; y < d->height; ++y) d->rows[y] = d->pixels + y * row_bytes;
  png_read_image(d->png, d->rows);
  // Reads the chunks after the image data: a file cut inside them is reported, not accepted.
  png_read_end(d->png, nullptr);
  return true;
}

// Frees what decode() and read_png_rgb() acquired, whatever happened.
struct DecodeGuard {
  Decode& d;
  ~DecodeGuard() {
    if (d.png != nullptr) png_destroy_read_struct(&d.png, d.info != nullptr ? &d.info : nullptr, nullptr);
    std::free(d.rows);
    std::free(d.pixels);
    if (d.file != nullptr) std::fclose(d.file);
  }
};

}  // namespace

torch::Tensor read_png_rgb(const std::filesystem::path& file) {
  Decode d;
  DecodeGuard guard{d};
  d.file = std::fopen(file.c_str(), "rb");
  if (d.file == nullptr) throw Error(fmt::format("{}: cannot open PNG file ({})", file.string(), std::strerror(errno)));

  png_byte signature[8];
  const size_t got = std::fread(signature, 1, sizeof signature, d.file);
  if (got != sizeof signature && std::ferror(d.file) != 0)
    throw Error(fmt::format("{}: cannot read PNG file ({})", file.string(), std::strerror(errno)));
  if (got != sizeof signature || png_sig_cmp(signature, 0, sizeof signature) != 0)
    throw Error(fmt::format("{}: not a PNG file (bad signature; expected the 8 bytes 89 50 4E 47 0D 0A 1A 0A)",
                            file.string()));

  if (!decode(&d)) {
    // libpng's read callback says only "Read Error" when the file ends early.
    const char* hint = std::feof(d.file) != 0 ? "truncated PNG: the file ends early" : "corrupt PNG";
    throw Error(fmt::format("{}: {} (libpng: {})", file.string(), hint, d.message));
  }

  // HWC -> CHW.
  const int64_t h = d.height;
  const int64_t w = d.width;
  torch::Tensor out = torch::empty({3, h, w}, torch::kUInt8);
  uint8_t* dst = out.data_ptr<uint8_t>();
  const unsigned char* src = d.pixels;
  const int64_t plane = h * w;
  for (int64_t i = 0; i < plane; ++i) {
    dst[i] = src[3 * i];
    dst[plane + i] = src[3 * i + 1];
    dst[2 * plane + i] = src[3 * i + 2];
  }
  return out;
}

void write_png_rgb(const std::filesystem::path& file, const torch::Tensor& chw_uint8) {
  const torch::Tensor& t = chw_uint8;
  if (!t.defined() || t.scalar_type() != torch::kUInt8 || t.dim() != 3 || t.size(0) != 3 || t.size(1) < 1 ||
      t.size(2) < 1 || t.size(1) > PNG_UINT_31_MAX || t.size(2) > PNG_UINT_31_MAX)
    throw Error(t.defined() ? fmt::format("{}: cannot write a PNG from a {} tensor of shape [{}] (expected uint8 "
                                          "[3, H, W])",
                                          file.string(), c10::toString(t.scalar_type()), fmt::join(t.sizes(), ", "))
                            : fmt::format("{}: cannot write a PNG from an undefined tensor", file.string()));
  const torch::Tensor hwc = t.to(torch::kCPU).permute({1, 2, 0}).contiguous();

  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(t.size(2));
  image.height = static_cast<png_uint_32>(t.size(1));
  image.format = PNG_FORMAT_RGB;
  // The simplified write API reports errors through image.message (no longjmp to handle).
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
  std::string bytes(size, '\0');
  if (png_image_write_to_memory(&image, bytes.data(), &size, 0, hwc.data_ptr<uint8_t>(), 0, nullptr) == 0) {
    const std::string reason = image.message;
    png_image_free(&image);
    throw Error(fmt::format("{}: cannot encode PNG (libpng: {})", file.string(), reason));
  }
  bytes.resize(size);
  write_file_atomic(file, bytes);
}

}  // namespace cwrf::data
