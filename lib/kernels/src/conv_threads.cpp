// conv_threads.cpp: conv2d on several threads without touching any algorithm.
//
// A convolution's outputs need no communication with each other, so the work splits into independent
// convolutions and every algorithm runs unchanged on its part:
//   - enough images (batch >= threads): each thread takes whole images (NCHW images are contiguous);
//   - fewer images (batch 1 at inference): each thread takes a band of output rows. Output rows
//     [oh0, oh1) read input rows [oh0*stride - pad_top, (oh1-1)*stride - pad_top + (KH-1)*dilation]: the
//     band plus its halo, exactly spatial pack's tiles (lesson 20) one level up. Rows of the halo that fall
//     outside the image become the band's own top/bottom padding, so the band is an ordinary convolution
//     of a smaller image. Its input rows are copied out (each channel's rows are a strided piece of x) and
//     its output rows copied back: O(C H W) copies beside O(OC C K^2 OH OW) arithmetic.
// Bands are multiples of 4 rows so that Winograd's 4x4 (and 2x2) output tiles fall where they fall on the
// whole image: every output is computed by the same arithmetic in the same order, so the result is
// bit-identical to one thread (tests/unit/kernels check it).
#include <algorithm>
#include <cstring>
#include <thread>

#include "conv_internal.hpp"
#include "gemm_internal.hpp"

namespace gb::kernels::detail {
namespace {

struct Band {
  std::int64_t oh0 = 0, oh1 = 0;       // output rows
  std::int64_t ih0 = 0, ih1 = 0;       // input rows inside the image that the band reads
  std::int64_t pad_top = 0, pad_bottom = 0;
};

Band band_of(const ConvShape& s, std::int64_t oh0, std::int64_t oh1) {
  const Conv2dParams& p = s.params;
  const std::int64_t first = oh0 * p.stride_h - p.pad_top;                                   // may be < 0
  const std::int64_t last = (oh1 - 1) * p.stride_h - p.pad_top + (s.kernel_h - 1) * p.dilation_h;  // inclusive
  Band b;
  b.oh0 = oh0;
  b.oh1 = oh1;
  b.ih0 = std::max<std::int64_t>(0, first);
  b.ih1 = std::min(s.in_h, last + 1);
  b.pad_top = b.ih0 - first;
  b.pad_bottom = (last + 1) - b.ih1;
  return b;
}

// Copies the band's input rows of image n (all channels) out, runs the algorithm, copies the rows back.
void run_band(ConvAlgo a, const float* x, const float* w, const float* bias, const ConvShape& s, float* y,
              std::int64_t n, const Band& band) {
  ConvShape bs = s;
  bs.batch = 1;
  bs.in_h = band.ih1 - band.ih0;
  bs.out_h = band.oh1 - band.oh0;
  bs.params.pad_top = band.pad_top;
  bs.params.pad_bottom = band.pad_bottom;
  const std::int64_t row_in = s.in_w, row_out = s.out_w;
  float* in = scratch(4, s.in_channels * bs.in_h * row_in);
  float* out = scratch(5, s.out_channels * bs.out_h * row_out);
  const float* image = x + n * s.in_channels * s.in_h * s.in_w;
  for (std::int64_t c = 0; c < s.in_channels; ++c) {
    std::memcpy(in + c * bs.in_h * row_in, image + (c * s.in_h + band.ih0) * row_in,
                bytes_of<float>(bs.in_h * row_in));
  }
  run_algorithm(a, in, w, bias, bs, out);
  float* result = y + n * s.out_channels * s.out_h * s.out_w;
  for (std::int64_t o = 0; o < s.out_channels; ++o) {
    std::memcpy(result + (o * s.out_h + band.oh0) * row_out, out + o * bs.out_h * row_out,
                bytes_of<float>(bs.out_h * row_out));
  }
}

}  // namespace

void conv_threads(ConvAlgo a, const float* x, const float* w, const float* b, const ConvShape& s, float* y,
                  int threads) {
  const std::int64_t t =
      threads > 0 ? threads : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::thread::hardware_concurrency()));
  if (t == 1) return run_algorithm(a, x, w, b, s, y);

  if (s.batch >= t) {  // whole images per thread
    const std::int64_t in_image = s.in_channels * s.in_h * s.in_w, out_image = s.out_channels * s.out_h * s.out_w;
    pool_of(static_cast<int>(t)).parallel_for(s.batch, [&](std::int64_t lo, std::int64_t hi) {
      ConvShape part = s;
      part.batch = hi - lo;
      run_algorithm(a, x + lo * in_image, w, b, part, y + lo * out_image);
    });
    return;
  }

  // Bands of output rows, a multiple of 4 rows each (Winograd's tiles stay where they are).
  const std::int64_t per_thread = (s.out_h + t - 1) / t;
  const std::int64_t rows = (per_thread + 3) / 4 * 4;
  const std::int64_t bands = (s.out_h + rows - 1) / rows;
  std::vector<Band> plan;
  for (std::int64_t i = 0; i < bands; ++i) plan.push_back(band_of(s, i * rows, std::min(s.out_h, (i + 1) * rows)));
  // One band, or a band that lies wholly in the padding (a degenerate image): one thread does it all.
  const bool degenerate = std::any_of(plan.begin(), plan.end(), [](const Band& bd) { return bd.ih1 <= bd.ih0; });
  if (bands < 2 || degenerate) return run_algorithm(a, x, w, b, s, y);
  pool_of(static_cast<int>(std::min(t, s.batch * bands)))
      .parallel_for(s.batch * bands, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t i = lo; i < hi; ++i) run_band(a, x, w, b, s, y, i / bands, plan[static_cast<std::size_t>(i % bands)]);
      });
}

}  // namespace gb::kernels::detail
