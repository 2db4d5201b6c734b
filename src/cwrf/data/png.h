// PNG files as uint8 CHW RGB tensors (libpng), for image-folder datasets such as CINIC-10.
#pragma once

#include <torch/types.h>

#include <filesystem>

namespace cwrf::data {

// Decodes any PNG to uint8 [3, H, W] with the raw stored values, as Pillow's
// Image.open(f).convert("RGB") gives them (the reference PyTorch pipelines use it):
//   gray (1..16 bit) is replicated to R=G=B; palette entries are looked up;
//   alpha (an alpha channel or tRNS) is DROPPED, not composited;
//   16-bit samples keep their high byte; gAMA/sRGB/iCCP are ignored (no colour conversion);
//   interlaced images are de-interlaced.
// Throws Error naming the file and libpng's reason for a missing, non-PNG, truncated or
// corrupt file (CRC errors in critical chunks included).
torch::Tensor read_png_rgb(const std::filesystem::path& file);

// Writes uint8 [3, H, W] (any strides) as an 8-bit RGB PNG, atomically (cwrf::write_file_atomic).
// Throws Error naming the file for a tensor of another dtype or shape.
void write_png_rgb(const std::filesystem::path& file, const torch::Tensor& chw_uint8);

}  // namespace cwrf::data
