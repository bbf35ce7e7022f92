// kernels_bindings.cpp: glassbox._glassbox.kernels, lib/kernels for Python: the GEMM ladder by variant
// name, the memory layouts, convolution by algorithm name and pooling, and the recordings of
// lessons 18 to 22 (as JSON text, which glassbox/kernels.py turns into dicts). glassbox/kernels.py
// wraps it (NumPy in and out).
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/kernels/layout.hpp"
#include "gb/kernels/pool.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/trace/json.hpp"

namespace gb::python {
namespace {

// (sh, sw), (top, left, bottom, right), (dh, dw) as glassbox/kernels.py normalises them.
gb::kernels::Conv2dParams conv_params(const std::vector<std::int64_t>& stride, const std::vector<std::int64_t>& padding,
                                      const std::vector<std::int64_t>& dilation, std::int64_t groups) {
  if (stride.size() != 2 || padding.size() != 4 || dilation.size() != 2) {
    throw Error("conv2d", "stride (sh, sw), padding (top, left, bottom, right), dilation (dh, dw)",
                std::to_string(stride.size()) + ", " + std::to_string(padding.size()) + " and " +
                    std::to_string(dilation.size()) + " entries");
  }
  return {stride[0], stride[1], padding[0], padding[1], padding[2], padding[3], dilation[0], dilation[1], groups};
}

gb::kernels::Pool2dParams pool_params(const std::vector<std::int64_t>& kernel, const std::vector<std::int64_t>& stride,
                                      const std::vector<std::int64_t>& padding, const std::vector<std::int64_t>& dilation,
                                      bool ceil_mode, bool count_include_pad) {
  if (kernel.size() != 2 || stride.size() != 2 || padding.size() != 2 || dilation.size() != 2) {
    throw Error("pool2d", "kernel, stride, padding and dilation of 2 entries each", "other lengths");
  }
  gb::kernels::Pool2dParams p;
  p.kernel_h = kernel[0];
  p.kernel_w = kernel[1];
  p.stride_h = stride[0];
  p.stride_w = stride[1];
  p.pad_h = padding[0];
  p.pad_w = padding[1];
  p.dilation_h = dilation[0];
  p.dilation_w = dilation[1];
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  return p;
}

}  // namespace

void bind_kernels(py::module_& m) {
  namespace kn = gb::kernels;
  m.def(
      "gemm",
      [](py::handle a, py::handle b, const std::string& variant, int threads) {
        const Tensor ta = tensor_from_python(a, py::none()), tb = tensor_from_python(b, py::none());
        return kn::gemm(ta, tb, kn::variant_from_name(variant), threads);
      },
      py::arg("a"), py::arg("b"), py::arg("variant") = "best", py::arg("threads") = 0,
      "a @ b for 2-D float32 arrays with one rung of the GEMM ladder (a Tensor)");
  m.def(
      "variants",
      [] {
        std::vector<std::string> names;
        for (kn::Variant v : kn::all_variants()) names.emplace_back(kn::variant_name(v));
        return names;
      },
      "every rung of the ladder, in order");
  m.def(
      "available_variants",
      [] {
        std::vector<std::string> names;
        for (kn::Variant v : kn::available_variants()) names.emplace_back(kn::variant_name(v));
        return names;
      },
      "the rungs this CPU can run (avx2 / avx512 only where it has the instructions)");
  m.def("best_variant", [] { return std::string(kn::variant_name(kn::best_variant())); },
        "the micro-kernel `best` runs on this CPU");
  m.def(
      "to_layout",
      [](py::handle x, const std::string& from, const std::string& to, std::int64_t channels) {
        return kn::to_layout(tensor_from_python(x, py::none()), kn::layout_from_name(from), kn::layout_from_name(to),
                             channels);
      },
      py::arg("x"), py::arg("source"), py::arg("target"), py::arg("channels") = 0,
      "x converted between NCHW, NHWC, NC4HW4, NCHW8, NCHW16 (a Tensor)");
  m.def(
      "offset",
      [](const std::string& layout, std::vector<std::int64_t> dims, std::vector<std::int64_t> index) {
        if (dims.size() != 4 || index.size() != 4) {
          throw Error("offset", "dims (N, C, H, W) and index (n, c, h, w) of 4 entries each",
                      std::to_string(dims.size()) + " and " + std::to_string(index.size()) + " entries");
        }
        return kn::offset(kn::layout_from_name(layout), {dims[0], dims[1], dims[2], dims[3]}, index[0], index[1],
                          index[2], index[3]);
      },
      py::arg("layout"), py::arg("dims"), py::arg("index"), "the offset of element (n, c, h, w) in the layout");
  m.def(
      "record_gemm_blocking_json",
      [](std::int64_t m_, std::int64_t n, std::int64_t k, std::vector<std::int64_t> blocking, bool elements) {
        if (blocking.size() != 5) {
          throw Error("record_gemm_blocking", "blocking (MC, KC, NC, MR, NR)", std::to_string(blocking.size()) + " entries");
        }
        trace::Recorder rec("19-gemm", "GEMM blocking");
        kn::record_gemm_blocking(rec, m_, n, k, {blocking[0], blocking[1], blocking[2], blocking[3], blocking[4]},
                                 elements);
        return trace::to_json(rec.take(), -1);
      },
      py::arg("m"), py::arg("n"), py::arg("k"), py::arg("blocking"), py::arg("elements") = false);
  m.def(
      "record_layout_strip_json",
      [](std::vector<std::int64_t> dims, std::int64_t x) {
        if (dims.size() != 4) throw Error("record_layout_strip", "dims (N, C, H, W)", std::to_string(dims.size()) + " entries");
        trace::Recorder rec("18-memory-layout", "NCHW to NCHWx");
        kn::record_layout_strip(rec, {dims[0], dims[1], dims[2], dims[3]}, x);
        return trace::to_json(rec.take(), -1);
      },
      py::arg("dims"), py::arg("x") = 4);
  m.def(
      "conv2d",
      [](py::handle x, py::handle w, py::handle b, std::vector<std::int64_t> stride, std::vector<std::int64_t> padding,
         std::vector<std::int64_t> dilation, std::int64_t groups, const std::string& algo, int threads) {
        const Tensor tb = b.is_none() ? Tensor() : tensor_from_python(b, py::none());
        return kn::conv2d(tensor_from_python(x, py::none()), tensor_from_python(w, py::none()), tb,
                          conv_params(stride, padding, dilation, groups), kn::conv_algo_from_name(algo), threads);
      },
      py::arg("x"), py::arg("w"), py::arg("b"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
      py::arg("groups"), py::arg("algo"), py::arg("threads") = 1, "2-D convolution of NCHW x with OIHW w by the named algorithm (a Tensor)");
  m.def(
      "conv_algorithms",
      [] {
        std::vector<std::string> names;
        for (kn::ConvAlgo a : kn::all_conv_algos()) names.emplace_back(kn::conv_algo_name(a));
        return names;
      },
      "every convolution algorithm, in lesson order");
  m.def(
      "conv_plan",
      [](std::vector<std::int64_t> x_shape, std::vector<std::int64_t> w_shape, std::vector<std::int64_t> stride,
         std::vector<std::int64_t> padding, std::vector<std::int64_t> dilation, std::int64_t groups) {
        const kn::ConvShape s = kn::conv_shape(x_shape, w_shape, conv_params(stride, padding, dilation, groups));
        py::dict out;
        out["chosen"] = std::string(kn::conv_algo_name(kn::choose_algorithm(s)));
        out["out_shape"] = std::vector<std::int64_t>{s.batch, s.out_channels, s.out_h, s.out_w};
        py::dict bytes;
        for (kn::ConvAlgo a : kn::all_conv_algos()) {
          if (kn::conv_algo_supports(a, s)) bytes[kn::conv_algo_name(a)] = kn::workspace_bytes(s, a);
        }
        out["workspace_bytes"] = bytes;
        return out;
      },
      py::arg("x_shape"), py::arg("w_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
      py::arg("groups"), "the chooser's algorithm, the output shape and each algorithm's workspace in bytes");
  m.def(
      "max_pool2d",
      [](py::handle x, std::vector<std::int64_t> kernel, std::vector<std::int64_t> stride, std::vector<std::int64_t> padding,
         std::vector<std::int64_t> dilation, bool ceil_mode) {
        return kn::max_pool2d(tensor_from_python(x, py::none()), pool_params(kernel, stride, padding, dilation, ceil_mode, true));
      },
      py::arg("x"), py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"));
  m.def(
      "avg_pool2d",
      [](py::handle x, std::vector<std::int64_t> kernel, std::vector<std::int64_t> stride, std::vector<std::int64_t> padding,
         bool ceil_mode, bool count_include_pad) {
        return kn::avg_pool2d(tensor_from_python(x, py::none()),
                              pool_params(kernel, stride, padding, {1, 1}, ceil_mode, count_include_pad));
      },
      py::arg("x"), py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
      py::arg("count_include_pad"));
  m.def(
      "record_conv_json",
      [](const std::string& which, std::vector<std::int64_t> a) {
        auto need = [&](std::size_t n) {
          if (a.size() != n) throw Error("record_" + which, std::to_string(n) + " size arguments", std::to_string(a.size()));
        };
        if (which == "sliding_window") {
          need(6);
          trace::Recorder rec("20-convolution-and-im2col", "The sliding window");
          kn::record_sliding_window(rec, a[0], a[1], a[2], a[3], a[4], a[5] != 0);
          return trace::to_json(rec.take(), -1);
        }
        if (which == "im2col") {
          need(7);
          trace::Recorder rec("20-convolution-and-im2col", "Im2Col + GEMM");
          kn::record_im2col(rec, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
          return trace::to_json(rec.take(), -1);
        }
        if (which == "spatial_pack") {
          need(6);
          trace::Recorder rec("20-convolution-and-im2col", "Spatial pack");
          kn::record_spatial_pack(rec, a[0], a[1], a[2], a[3], a[4], a[5]);
          return trace::to_json(rec.take(), -1);
        }
        if (which == "winograd_tile") {
          need(1);
          trace::Recorder rec("21-winograd", "One Winograd tile");
          kn::record_winograd_tile(rec, a[0]);
          return trace::to_json(rec.take(), -1);
        }
        if (which == "indirection") {
          need(7);
          trace::Recorder rec("22-indirect-convolution", "The indirection buffer");
          kn::record_indirection(rec, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
          return trace::to_json(rec.take(), -1);
        }
        throw Error("record_conv", "sliding_window, im2col, spatial_pack, winograd_tile or indirection", which);
      },
      py::arg("which"), py::arg("args"));
}

}  // namespace gb::python
