// 18-memory-layout: one activation [N, C, H, W] in NCHW, NHWC and NC4HW4 (NCHWx) memory: the offset
// formulas on a few elements, the NCHW -> NCHWx memory strip element by element (record_layout_strip),
// the zero padding of the last channel block and the way back. The scenario checks its own numbers
// against formulas written out here and against gb::kernels::to_layout.
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/kernels/layout.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_18_memory_layout;

namespace {

namespace k = gb::kernels;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 18-memory-layout self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }

std::string element(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return "(" + str(n) + ", " + str(c) + ", " + str(h) + ", " + str(w) + ")";
}

// The three formulas, written out independently of the library.
std::int64_t nchw(const k::Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return ((n * d.c + c) * d.h + h) * d.w + w;
}
std::int64_t nhwc(const k::Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return ((n * d.h + h) * d.w + w) * d.c + c;
}
std::int64_t blocked(const k::Dims& d, std::int64_t x, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  const std::int64_t blocks = (d.c + x - 1) / x;
  return ((((n * blocks + c / x) * d.h + h) * d.w + w) * x) + c % x;
}

void three_orders(Recorder& rec, const k::Dims& d, std::int64_t x, const Tensor& logical) {
  rec.section("1. One tensor, three orders");
  const k::Layout bl = k::Layout::nchwx(x);
  rec.add_scene(trace::table_scene("offsets", "where element (n, c, h, w) lives",
                                   {"element (n, c, h, w)", "value", "NCHW offset", "NHWC offset", bl.name() + " offset"}));
  const std::vector<double> nhwc_mem = k::to_layout(logical, k::Layout::nchw(), k::Layout::nhwc()).to_vector();
  const std::vector<double> blocked_mem = k::to_layout(logical, k::Layout::nchw(), bl).to_vector();
  const std::vector<double> values = logical.to_vector();
  rec.step("The tensor [" + str(d.n) + ", " + str(d.c) + ", " + str(d.h) + ", " + str(d.w) + "] holds 1.." +
               str(logical.numel()) + " in NCHW order: the value of an element is its NCHW offset + 1.",
           Level::pass);
  // First element, next channel, next column, a channel of the second block, the last element.
  std::vector<std::vector<std::int64_t>> picks = {{0, 0, 0, 0},
                                                  {0, std::min<std::int64_t>(1, d.c - 1), 0, 0},
                                                  {0, 0, 0, std::min<std::int64_t>(1, d.w - 1)},
                                                  {0, std::min(x, d.c - 1), d.h - 1, d.w - 1},
                                                  {d.n - 1, d.c - 1, d.h - 1, d.w - 1}};
  for (const auto& e : picks) {
    const std::int64_t n = e[0], c = e[1], h = e[2], w = e[3];
    const std::int64_t a = nchw(d, n, c, h, w), b = nhwc(d, n, c, h, w), q = blocked(d, x, n, c, h, w);
    check(a == k::offset(k::Layout::nchw(), d, n, c, h, w) && b == k::offset(k::Layout::nhwc(), d, n, c, h, w) &&
              q == k::offset(bl, d, n, c, h, w),
          "the library's offsets equal the formulas at " + element(n, c, h, w),
          str(a) + ", " + str(b) + ", " + str(q));
    const double v = values[static_cast<std::size_t>(a)];
    check(nhwc_mem[static_cast<std::size_t>(b)] == v && blocked_mem[static_cast<std::size_t>(q)] == v,
          "to_layout puts " + element(n, c, h, w) + " at its offsets", str(b) + ", " + str(q));
    rec.step("Element " + element(n, c, h, w) + " sits at NCHW offset " + str(a) + ", NHWC offset " + str(b) + " and " +
                 bl.name() + " offset " + str(q) + ".",
             Level::op)
        .add_row("offsets", {element(n, c, h, w), str(static_cast<std::int64_t>(v)), str(a), str(b), str(q)});
  }
}

void strip(Recorder& rec, const k::Dims& d, std::int64_t x, const Tensor& logical) {
  rec.section("2. NCHW to NC4HW4, element by element");
  const Tensor out = k::record_layout_strip(rec, d, x);
  const Tensor expected = k::to_layout(logical, k::Layout::nchw(), k::Layout::nchwx(x));
  check(out.shape() == expected.shape() && out.to_vector() == expected.to_vector(),
        "the recorded strip equals to_layout(NCHW -> " + k::Layout::nchwx(x).name() + ")", out.str());
}

void padding_and_back(Recorder& rec, const k::Dims& d, std::int64_t x, const Tensor& logical) {
  rec.section("3. Padding, and the way back");
  const k::Layout bl = k::Layout::nchwx(x);
  const Tensor b = k::to_layout(logical, k::Layout::nchw(), bl);
  const std::int64_t blocks = (d.c + x - 1) / x, stored = d.n * blocks * d.h * d.w * x, numel = logical.numel();
  check(b.numel() == stored && k::stored_numel(bl, d) == stored, "N*ceil(C/x)*H*W*x stored elements",
        str(b.numel()));
  check(b.shape() == Shape{d.n, blocks, d.h, d.w, x}, "the stored shape [N, ceil(C/x), H, W, x]", b.str());
  // Every slot is either an element (at the formula's offset) or a padding zero.
  const std::vector<double> mem = b.to_vector();
  std::vector<int> used(mem.size(), 0);
  for (std::int64_t n = 0; n < d.n; ++n)
    for (std::int64_t c = 0; c < d.c; ++c)
      for (std::int64_t h = 0; h < d.h; ++h)
        for (std::int64_t w = 0; w < d.w; ++w) {
          const auto q = static_cast<std::size_t>(blocked(d, x, n, c, h, w));
          check(mem[q] == static_cast<double>(nchw(d, n, c, h, w) + 1), "element " + element(n, c, h, w) + " at its offset",
                str(static_cast<std::int64_t>(q)));
          used[q] = 1;
        }
  std::int64_t zeros = 0;
  for (std::size_t i = 0; i < mem.size(); ++i) {
    if (!used[i]) {
      check(mem[i] == 0, "padding slots hold 0", str(static_cast<std::int64_t>(i)));
      ++zeros;
    }
  }
  check(zeros == stored - numel, "stored - numel padding slots", str(zeros));
  const Tensor back = k::to_layout(b, bl, k::Layout::nchw(), d.c);
  check(back.shape() == logical.shape() && back.to_vector() == logical.to_vector(),
        "to_layout(" + bl.name() + " -> NCHW, channels = C) gives the tensor back", back.str());
  rec.step(bl.name() + " stores " + str(stored) + " slots for " + str(numel) + " values (" + str(zeros) +
               " zeros pad the last channel block), and converting back with channels = " + str(d.c) +
               " returns the original tensor exactly.",
           Level::pass);
}

trace::Recording memory_layout(const Params& params) {
  Recorder rec("18-memory-layout", "Memory layout: NCHW, NHWC and NC4HW4");
  k::Dims d{param_int(params, "n"), param_int(params, "c"), param_int(params, "h"), param_int(params, "w")};
  const std::int64_t x = param_int(params, "x");
  if (d.n < 1 || d.c < 1 || d.h < 1 || d.w < 1 || d.n > 4 || d.c > 32 || d.h > 8 || d.w > 8) {
    throw Error("lesson 18-memory-layout", "n in [1, 4], c in [1, 32], h and w in [1, 8]",
                "n = " + str(d.n) + ", c = " + str(d.c) + ", h = " + str(d.h) + ", w = " + str(d.w));
  }
  if (x != 4 && x != 8 && x != 16) throw Error("lesson 18-memory-layout", "x = 4, 8 or 16", "x = " + str(x));
  const std::int64_t stored = d.n * ((d.c + x - 1) / x) * d.h * d.w * x;
  if (stored > 512) {
    throw Error("lesson 18-memory-layout", "at most 512 stored elements (n * ceil(c/x) * h * w * x)", str(stored));
  }
  std::vector<double> values(static_cast<std::size_t>(d.n * d.c * d.h * d.w));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i + 1);
  const Tensor logical = Tensor::from_values(values, {d.n, d.c, d.h, d.w});
  three_orders(rec, d, x, logical);
  strip(rec, d, x, logical);
  padding_and_back(rec, d, x, logical);
  return rec.take();
}

}  // namespace

Lesson lesson_18_memory_layout() {
  return {"18-memory-layout",
          "Memory layout: NCHW, NHWC and NC4HW4",
          "Part III, inference engine",
          {{"n", "1", "images N (1-4)"},
           {"c", "6", "channels C (1-32); not a multiple of x, so the last block is padded"},
           {"h", "2", "height H (1-8)"},
           {"w", "3", "width W (1-8)"},
           {"x", "4", "channel block x of NCHWx: 4 (NC4HW4), 8 or 16"}},
          lesson_text_18_memory_layout,
          memory_layout};
}

}  // namespace gb::lessons
