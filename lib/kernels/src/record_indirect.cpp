// record_indirect.cpp: the recording of lesson 22: the indirection buffer drawn as arrows from each
// (output pixel, tap) entry into the NHWC input (padding entries point at the shared zero vector),
// then the MR x NR micro-kernel calls. The pointers come from the real build_indirection_buffer and
// the outputs from the real indirect convolution.
#include <algorithm>
#include <string>

#include "conv_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/indirect.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::kernels {
namespace {

void check_range(const std::string& what, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi) {
    throw Error("record_indirection", what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (a size worth watching)",
                what + " = " + std::to_string(value));
  }
}

}  // namespace

Tensor record_indirection(trace::Recorder& rec, std::int64_t channels, std::int64_t in_h, std::int64_t in_w,
                          std::int64_t out_channels, std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  check_range("C", channels, 1, 8);
  check_range("OC", out_channels, 1, 8);
  check_range("H", in_h, 1, 6);
  check_range("W", in_w, 1, 6);
  check_range("kernel", kernel, 1, 3);
  check_range("stride", stride, 1, 3);
  check_range("pad", pad, 0, kernel - 1);
  const Conv2dParams params = Conv2dParams::square(stride, pad);
  const ConvShape s = conv_shape({1, channels, in_h, in_w}, {out_channels, channels, kernel, kernel}, params,
                                 "record_indirection");
  std::vector<double> xv(static_cast<std::size_t>(channels * in_h * in_w)), wv(static_cast<std::size_t>(out_channels * channels * kernel * kernel));
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(static_cast<std::int64_t>(i) % 7 - 3);
  for (std::size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<double>(static_cast<std::int64_t>(i + 1) % 3 - 1);
  const Tensor x = Tensor::from_values(xv, {1, channels, in_h, in_w});
  const Tensor w = Tensor::from_values(wv, {out_channels, channels, kernel, kernel});
  const Tensor y = conv2d(x, w, Tensor(), params, ConvAlgo::indirect);

  const std::int64_t taps = kernel * kernel, pixels = s.out_h * s.out_w;
  std::vector<float> x_nhwc(static_cast<std::size_t>(channels * in_h * in_w));
  const std::vector<float> zero(static_cast<std::size_t>(channels), 0.0f);
  std::vector<const float*> buffer(static_cast<std::size_t>(pixels * taps));
  detail::nchw_to_nhwc(x.data<float>(), 1, channels, in_h, in_w, x_nhwc.data());
  build_indirection_buffer(x_nhwc.data(), zero.data(), s, buffer.data());

  trace::Scene graph = trace::graph_scene("indirection", "indirection buffer -> input rows (NHWC)");
  graph.graph.groups = {{"buffer", "indirection buffer (pixel, tap)"}, {"input", "input pixels (rows of C channels)"}};
  for (std::int64_t p = 0; p < pixels; ++p) {
    for (std::int64_t t = 0; t < taps; ++t) {
      trace::GraphNode node;
      node.id = "p" + std::to_string(p) + "t" + std::to_string(t);
      node.label = "pixel " + std::to_string(p) + " tap " + std::to_string(t);
      node.group = "buffer";
      graph.graph.nodes.push_back(node);
    }
  }
  for (std::int64_t ih = 0; ih < in_h; ++ih) {
    for (std::int64_t iw = 0; iw < in_w; ++iw) {
      trace::GraphNode node;
      node.id = "x" + std::to_string(ih) + "_" + std::to_string(iw);
      node.label = "x[" + std::to_string(ih) + ", " + std::to_string(iw) + ", 0:" + std::to_string(channels) + "]";
      node.group = "input";
      node.shape = "[" + std::to_string(channels) + "]";
      graph.graph.nodes.push_back(node);
    }
  }
  trace::GraphNode zero_node;
  zero_node.id = "zero";
  zero_node.label = "zero vector [" + std::to_string(channels) + "]";
  graph.graph.nodes.push_back(zero_node);
  rec.add_scene(graph);
  rec.add_scene(trace::tensor_scene("buffer", "buffer: input pixel h*W + w per (pixel, tap); -1 = zero vector",
                                    Tensor::zeros({pixels, taps})));
  rec.add_scene(trace::tensor_scene("output", "output OC x (OH*OW)", Tensor::zeros({out_channels, pixels})));
  rec.step("Indirect convolution: " + std::to_string(pixels) + " output pixels x " + std::to_string(taps) +
               " taps = " + std::to_string(pixels * taps) + " pointers, no Im2Col copy.",
           trace::Level::pass);

  for (std::int64_t p = 0; p < pixels; ++p) {
    trace::StepBuilder step = rec.step("Output pixel (" + std::to_string(p / s.out_w) + ", " + std::to_string(p % s.out_w) +
                                           "): " + std::to_string(taps) + " pointers, one per tap.",
                                       trace::Level::op);
    std::vector<std::int64_t> cells;
    std::vector<double> values;
    std::int64_t padding = 0;
    for (std::int64_t t = 0; t < taps; ++t) {
      const float* ptr = buffer[static_cast<std::size_t>(p * taps + t)];
      std::int64_t target = -1;
      std::string to = "zero";
      if (ptr != zero.data()) {
        target = (ptr - x_nhwc.data()) / channels;  // the input pixel h*W + w this entry points at
        to = "x" + std::to_string(target / in_w) + "_" + std::to_string(target % in_w);
      } else {
        ++padding;
      }
      const std::string from = "p" + std::to_string(p) + "t" + std::to_string(t);
      step.add_edge("indirection", {from + "->" + to, from, to, ""});
      cells.push_back(p * taps + t);
      values.push_back(static_cast<double>(target));
    }
    step.write_cells("buffer", cells, values);
    if (padding > 0) {  // one sentence: "..., one per tap; 5 of them in the padding -> the zero vector."
      std::string& caption = step.get().caption;
      caption.back() = ';';
      caption += " " + std::to_string(padding) + " of them in the padding -> the zero vector.";
    }
  }

  const std::int64_t blocks = (out_channels + kIndirectNR - 1) / kIndirectNR;
  std::int64_t call = 0;
  for (std::int64_t p0 = 0; p0 < pixels; p0 += kIndirectMR) {
    for (std::int64_t b = 0; b < blocks; ++b) {
      std::vector<std::int64_t> rows, out_cells;
      std::vector<double> out_values;
      for (std::int64_t p = p0; p < std::min(p0 + kIndirectMR, pixels); ++p) {
        for (std::int64_t t = 0; t < taps; ++t) rows.push_back(p * taps + t);
        for (std::int64_t o = b * kIndirectNR; o < std::min((b + 1) * kIndirectNR, out_channels); ++o) {
          out_cells.push_back(o * pixels + p);
          out_values.push_back(y.at({0, o, p / s.out_w, p % s.out_w}));
        }
      }
      ++call;
      rec.step("Micro-kernel call " + std::to_string(call) + ": " + std::to_string(kIndirectMR) + " pixels x " +
                   std::to_string(kIndirectNR) + " filters, the whole reduction (" + std::to_string(taps) + " taps x " +
                   std::to_string(channels) + " channels) read through the pointers.",
               trace::Level::tile)
          .read_cells("buffer", rows)
          .write_cells("output", out_cells, out_values);
    }
  }
  return y;
}

}  // namespace gb::kernels
