// 22-indirect-convolution: QNNPACK's indirection buffer. One pointer per (output pixel, kernel tap)
// into the NHWC input, padding taps pointing at one shared zero vector (record_indirection: the
// pointers drawn as edges of a graph), then the 4 x 8 micro-kernel reading its rows through the
// pointers. The scenario counts the pointers, the zero taps and the micro-kernel calls independently
// and checks the output against conv2d(direct).
#include <cmath>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/indirect.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_22_indirect_convolution;

namespace {

namespace k = gb::kernels;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 22-indirect-convolution self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }

const char* const pointers_section = "1. One pointer per output pixel and tap";
const char* const kernel_section = "2. The micro-kernel reads through the pointers";

struct Setup {
  std::int64_t channels, size, out_channels, kernel, stride, pad;
};

struct Counts {
  std::int64_t entries = 0, zero_entries = 0, zero_edges = 0, edges = 0, calls = 0;
};

// The recording, with its pointer steps in section 1 and its micro-kernel calls in section 2.
Tensor indirection(Recorder& rec, const Setup& p, Counts& counts) {
  Recorder sub(rec.recording().lesson, rec.recording().title);
  const Tensor y = k::record_indirection(sub, p.channels, p.size, p.size, p.out_channels, p.kernel, p.stride, p.pad);
  trace::Recording r = sub.take();
  for (trace::Scene& s : r.scenes) {
    if (s.id == "buffer") counts.entries = s.tensor.rows * s.tensor.cols;
    rec.add_scene(std::move(s));
  }
  std::vector<double> buffer(static_cast<std::size_t>(counts.entries), 0.0);
  for (trace::Step& st : r.steps) {
    st.section = st.level == Level::tile ? kernel_section : pointers_section;
    counts.calls += st.level == Level::tile;
    for (const trace::Change& c : st.changes) {
      if (c.kind == trace::ChangeKind::add_edge) {
        ++counts.edges;
        counts.zero_edges += c.edge.to == "zero";
      }
      if (c.kind == trace::ChangeKind::write_cells && c.scene == "buffer") {
        for (std::size_t i = 0; i < c.cells.size(); ++i) buffer[static_cast<std::size_t>(c.cells[i])] = c.values[i];
      }
    }
    rec.recording().steps.push_back(std::move(st));
  }
  for (double v : buffer) counts.zero_entries += v == -1;
  return y;
}

void summary(Recorder& rec, const Setup& p, const Tensor& y, const Counts& counts) {
  rec.section("3. Counting pointers, zeros and calls");
  const k::Conv2dParams cp = k::Conv2dParams::square(p.stride, p.pad);
  const std::int64_t out = (p.size - p.kernel + 2 * p.pad) / p.stride + 1, pixels = out * out, taps = p.kernel * p.kernel;
  // The taps that fall in the padding, counted from the geometry alone.
  std::int64_t padding = 0;
  for (std::int64_t oh = 0; oh < out; ++oh)
    for (std::int64_t ow = 0; ow < out; ++ow)
      for (std::int64_t kh = 0; kh < p.kernel; ++kh)
        for (std::int64_t kw = 0; kw < p.kernel; ++kw) {
          const std::int64_t ih = oh * p.stride - p.pad + kh, iw = ow * p.stride - p.pad + kw;
          padding += ih < 0 || ih >= p.size || iw < 0 || iw >= p.size;
        }
  const std::int64_t calls = ((pixels + k::kIndirectMR - 1) / k::kIndirectMR) * ((p.out_channels + k::kIndirectNR - 1) / k::kIndirectNR);
  check(counts.entries == pixels * taps && counts.edges == pixels * taps,
        "pixels x taps = " + str(pixels) + " x " + str(taps) + " entries and arrows",
        str(counts.entries) + " entries, " + str(counts.edges) + " arrows");
  check(counts.zero_entries == padding && counts.zero_edges == padding, str(padding) + " padding taps point at the zero vector",
        str(counts.zero_entries) + " entries, " + str(counts.zero_edges) + " arrows");
  check(counts.calls == calls, "ceil(OH*OW/MR) * ceil(OC/NR) = " + str(calls) + " micro-kernel calls", str(counts.calls));
  // The recording's input: small integers (x cycling through -3..3, w through -1..1).
  std::vector<double> xv(static_cast<std::size_t>(p.channels * p.size * p.size)),
      wv(static_cast<std::size_t>(p.out_channels * p.channels * taps));
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(static_cast<std::int64_t>(i) % 7 - 3);
  for (std::size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<double>(static_cast<std::int64_t>(i + 1) % 3 - 1);
  const Tensor x = Tensor::from_values(xv, {1, p.channels, p.size, p.size});
  const Tensor w = Tensor::from_values(wv, {p.out_channels, p.channels, p.kernel, p.kernel});
  const Tensor direct = k::conv2d(x, w, Tensor(), cp, k::ConvAlgo::direct);
  check(y.shape() == direct.shape() && y.to_vector() == direct.to_vector(), "the indirect output equals conv2d(direct)", y.str());
  // The real builder on a real NHWC copy: every padding entry is the address of the shared zero vector.
  const k::ConvShape s = k::conv_shape(x.shape(), w.shape(), cp);
  const Tensor nhwc = x.permute({0, 2, 3, 1}).contiguous();
  const std::vector<float> zero(static_cast<std::size_t>(p.channels), 0.0f);
  std::vector<const float*> buffer(static_cast<std::size_t>(pixels * taps));
  k::build_indirection_buffer(nhwc.data<float>(), zero.data(), s, buffer.data());
  std::int64_t at_zero = 0;
  for (const float* ptr : buffer) at_zero += ptr == zero.data();
  check(at_zero == padding, "build_indirection_buffer points the padding taps at the zero vector", str(at_zero));
  rec.step(str(pixels) + " pixels x " + str(taps) + " taps = " + str(pixels * taps) + " pointers, " + str(padding) +
               " of them at the zero vector, and " + str(calls) + " = ceil(" + str(pixels) + "/" + str(k::kIndirectMR) +
               ") * ceil(" + str(p.out_channels) + "/" + str(k::kIndirectNR) +
               ") micro-kernel calls give exactly conv2d(direct).",
           Level::pass);
}

trace::Recording indirect(const Params& params) {
  Recorder rec("22-indirect-convolution", "Indirect convolution: QNNPACK's indirection buffer");
  Setup p{param_int(params, "channels"), param_int(params, "size"), param_int(params, "out_channels"),
          param_int(params, "kernel"), param_int(params, "stride"), param_int(params, "pad")};
  const std::string lesson = "lesson 22-indirect-convolution";
  if (p.channels < 1 || p.channels > 8 || p.out_channels < 1 || p.out_channels > 8) {
    throw Error(lesson, "channels and out_channels in [1, 8]",
                "channels = " + str(p.channels) + ", out_channels = " + str(p.out_channels));
  }
  if (p.kernel < 1 || p.kernel > 3) throw Error(lesson, "kernel in [1, 3]", "kernel = " + str(p.kernel));
  if (p.stride < 1 || p.stride > 3) throw Error(lesson, "stride in [1, 3]", "stride = " + str(p.stride));
  if (p.pad < 0 || p.pad >= p.kernel) throw Error(lesson, "pad in [0, kernel - 1]", "pad = " + str(p.pad));
  if (p.size < 1 || p.size > 6 || p.size + 2 * p.pad < p.kernel) {
    throw Error(lesson, "size in [1, 6] with size + 2*pad >= kernel", "size = " + str(p.size) + ", pad = " + str(p.pad));
  }
  Counts counts;
  const Tensor y = indirection(rec, p, counts);
  summary(rec, p, y, counts);
  return rec.take();
}

}  // namespace

Lesson lesson_22_indirect_convolution() {
  return {"22-indirect-convolution",
          "Indirect convolution: QNNPACK's indirection buffer",
          "Part III, inference engine",
          {{"channels", "2", "input channels C (1-8): one pointer reads a row of C values"},
           {"size", "3", "input height and width (1-6, size + 2*pad >= kernel)"},
           {"out_channels", "4", "filters OC (1-8)"},
           {"kernel", "3", "kernel size k (1-3)"},
           {"stride", "1", "stride s (1-3)"},
           {"pad", "1", "zero padding p on every side (0 to kernel - 1): padding taps point at the zero vector"}},
          lesson_text_22_indirect_convolution,
          indirect};
}

}  // namespace gb::lessons
