// record_winograd.cpp: the recording of lesson 21: Winograd's four stages on one tile, with a
// multiplication counter beside direct convolution's. The counters are incremented by the loops
// that do the multiplications (the element-wise product of stage 3, the multiply-adds of direct
// convolution); the transforms multiply only by the constants of BT, G and AT, which an engine
// amortises over channels and filters, so they are not counted (as in Lavin & Gray's count).
#include <algorithm>
#include <cmath>
#include <string>

#include "gb/core/error.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/winograd.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::kernels {
namespace {

std::vector<std::int64_t> all_cells(std::int64_t n) {
  std::vector<std::int64_t> cells(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) cells[static_cast<std::size_t>(i)] = i;
  return cells;
}

std::vector<double> as_doubles(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

WinogradTileCount record_winograd_tile(trace::Recorder& rec, std::int64_t m) {
  if (m != 2 && m != 4) throw Error("record_winograd_tile", "m = 2 (F(2x2,3x3)) or m = 4 (F(4x4,3x3))", "m = " + std::to_string(m));
  const WinogradMatrices& mat = winograd_matrices(m);
  const std::int64_t alpha = mat.alpha, a2 = alpha * alpha;
  const std::string f = "F(" + std::to_string(m) + "x" + std::to_string(m) + ",3x3)";
  std::vector<float> d(static_cast<std::size_t>(a2)), g(9), u(static_cast<std::size_t>(a2)), v(u), prod(u),
      y(static_cast<std::size_t>(m * m)), direct(y);
  for (std::int64_t i = 0; i < a2; ++i) d[static_cast<std::size_t>(i)] = static_cast<float>((i * 5 + 2) % 9 - 4);
  for (std::int64_t i = 0; i < 9; ++i) g[static_cast<std::size_t>(i)] = static_cast<float>((i * 2 + 1) % 5 - 2);

  auto scene = [&](const std::string& id, const std::string& title, const std::vector<float>& values, std::int64_t n) {
    rec.add_scene(trace::tensor_scene(id, title, Tensor::from_vector(values, {n, n})));
  };
  scene("d", "d: input tile " + std::to_string(alpha) + " x " + std::to_string(alpha), d, alpha);
  scene("g", "g: filter 3 x 3", g, 3);
  scene("U", "U = G g GT", std::vector<float>(static_cast<std::size_t>(a2)), alpha);
  scene("V", "V = BT d B", std::vector<float>(static_cast<std::size_t>(a2)), alpha);
  scene("M", "M = U (.) V", std::vector<float>(static_cast<std::size_t>(a2)), alpha);
  scene("Y", "Y = AT M A", std::vector<float>(static_cast<std::size_t>(m * m)), m);
  scene("direct", "direct convolution", std::vector<float>(static_cast<std::size_t>(m * m)), m);
  rec.add_scene(trace::plot_scene("multiplications", "multiplications for one tile", "step", "multiplications"));
  rec.add_scene(trace::table_scene("count", "multiplications per " + std::to_string(m) + " x " + std::to_string(m) +
                                                " output tile",
                                   {"algorithm", "multiplications"}));
  rec.step(f + ": " + std::to_string(m * m) + " outputs of a 3 x 3 filter from a " + std::to_string(alpha) + " x " +
               std::to_string(alpha) + " input tile, in four stages.",
           trace::Level::pass);

  // Stage 1 and 2: the transforms (the real exercise code, one lane).
  winograd_tile_transform(mat.g.data(), alpha, 3, g.data(), 1, u.data());
  rec.step("Filter transform U = G g GT (once per filter: free when amortised over the image).", trace::Level::op)
      .read_cells("g", all_cells(9))
      .write_cells("U", all_cells(a2), as_doubles(u));
  winograd_tile_transform(mat.bt.data(), alpha, alpha, d.data(), 1, v.data());
  rec.step("Input transform V = BT d B: additions and small constants only.", trace::Level::op)
      .read_cells("d", all_cells(a2))
      .write_cells("V", all_cells(a2), as_doubles(v));

  // Stage 3: the element-wise product, the only multiplications of d by g.
  WinogradTileCount count;
  for (std::int64_t i = 0; i < a2; ++i) {
    prod[static_cast<std::size_t>(i)] = u[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
    ++count.winograd;
    rec.step("M[" + std::to_string(i / alpha) + ", " + std::to_string(i % alpha) + "] = U x V: multiplication " +
                 std::to_string(count.winograd) + ".",
             trace::Level::element)
        .read_cells("U", {i})
        .read_cells("V", {i})
        .write_cells("M", {i}, {prod[static_cast<std::size_t>(i)]})
        .add_point("multiplications", "winograd", static_cast<double>(i + 1), static_cast<double>(count.winograd));
  }
  // Stage 4: back to m x m outputs.
  winograd_tile_transform(mat.at.data(), m, alpha, prod.data(), 1, y.data());
  rec.step("Output transform Y = AT M A: " + std::to_string(m * m) + " outputs after " + std::to_string(count.winograd) +
               " multiplications.",
           trace::Level::op)
      .read_cells("M", all_cells(a2))
      .write_cells("Y", all_cells(m * m), as_doubles(y))
      .add_row("count", {f, std::to_string(count.winograd)});

  // Direct convolution of the same tile: 9 multiply-adds per output.
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t c = 0; c < m; ++c) {
      float sum = 0;
      std::vector<std::int64_t> window;
      for (std::int64_t kh = 0; kh < 3; ++kh) {
        for (std::int64_t kw = 0; kw < 3; ++kw) {
          sum += d[static_cast<std::size_t>((r + kh) * alpha + c + kw)] * g[static_cast<std::size_t>(kh * 3 + kw)];
          ++count.direct;
          window.push_back((r + kh) * alpha + c + kw);
        }
      }
      direct[static_cast<std::size_t>(r * m + c)] = sum;
      count.max_abs_diff = std::max(count.max_abs_diff, std::fabs(static_cast<double>(sum) - y[static_cast<std::size_t>(r * m + c)]));
      rec.step("Direct output (" + std::to_string(r) + ", " + std::to_string(c) + "): 9 multiplications, " +
                   std::to_string(count.direct) + " so far.",
               trace::Level::tile)
          .read_cells("d", window)
          .read_cells("g", all_cells(9))
          .write_cells("direct", {r * m + c}, {sum})
          .add_point("multiplications", "direct", static_cast<double>(r * m + c + 1), static_cast<double>(count.direct));
    }
  }
  rec.step("Same " + std::to_string(m * m) + " outputs: " + std::to_string(count.winograd) + " multiplications instead of " +
               std::to_string(count.direct) + ".",
           trace::Level::op)
      .read_cells("Y", all_cells(m * m))
      .read_cells("direct", all_cells(m * m))
      .add_row("count", {"direct", std::to_string(count.direct)});
  return count;
}

}  // namespace gb::kernels
