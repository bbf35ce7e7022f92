// onnx_ops_quant_matmul.cpp: ONNX's QLinearMatMul (opset 10): MatMul on quantized tensors,
//   inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point;
//   a [..., M, K], b [..., K, N] -> y [..., M, N], the batch axes broadcast as numpy.matmul's;
//   a's scale and zero point per tensor or per row (M entries), b's per tensor or per column (N entries).
// The accumulators of the formula in onnx_ops_quant_linear.cpp: lib/quant's qgemm_s32 for uint8 a with one
// zero point and int8 b (b's columns become the rows of qgemm's [N, K] weight), else the reference loop on
// q - Z. 1-D operands (numpy's vector promotion) are Unsupported.
#include <algorithm>
#include <cstdint>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/quant/qgemm.hpp"
#include "onnx_ops_internal.hpp"
#include "onnx_ops_quant_linear.hpp"

namespace gb::convert::detail {

namespace {

constexpr std::size_t kA = 0, kAs = 1, kAz = 2, kB = 3, kBs = 4, kBz = 5, kYs = 6, kYz = 7;

// numpy's broadcasting of the batch axes, with -1 (unknown) kept unknown unless the other side decides.
Shape batch_shape(const std::string& op, const Shape& a, const Shape& b) {
  const std::size_t na = a.size() - 2, nb = b.size() - 2, n = std::max(na, nb);
  Shape out(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t x = i + na >= n ? a[i + na - n] : 1, y = i + nb >= n ? b[i + nb - n] : 1;
    if (x == y || y == 1) {
      out[i] = x;
    } else if (x == 1) {
      out[i] = y;
    } else if (x < 0 || y < 0) {
      out[i] = std::max(x, y);  // the known one, if any: the other must be 1 or equal at run time
    } else {
      throw Error(op, "batch axes that broadcast", "a " + shape_str(a) + ", b " + shape_str(b));
    }
  }
  return out;
}

std::vector<graph::ValueInfo> qmatmul_infer(const graph::InferContext& ctx) {
  const auto& in = ctx.inputs;
  const std::string& op = ctx.node.op;
  if (in.size() != 8) throw Error(op, "8 inputs", std::to_string(in.size()) + " inputs");
  const Shape& a = in[kA].shape;
  const Shape& b = in[kB].shape;
  if (a.size() < 2 || b.size() < 2) throw Unsupported(op, "a and b of rank >= 2", "a " + shape_str(a) + ", b " + shape_str(b));
  const std::int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], n = b.back();
  if (k >= 0 && k2 >= 0 && k != k2) throw Error(op, "a [..., M, K] and b [..., K, N] with the same K", "a " + shape_str(a) + ", b " + shape_str(b));
  check_quantized(op, "a", in[kA], in[kAs], in[kAz], m < 0 ? 0 : m);
  check_quantized(op, "b", in[kB], in[kBs], in[kBz], n < 0 ? 0 : n);
  check_quantized(op, "y", in[kYz], in[kYs], in[kYz], -1);
  Shape out = batch_shape(op, a, b);
  out.push_back(m);
  out.push_back(n);
  return {{in[kYz].dtype, out}};
}

std::vector<Tensor> qmatmul_kernel(const graph::KernelContext& ctx) {
  const auto& in = ctx.inputs;
  const std::string& op = ctx.node.op;
  std::vector<graph::ValueInfo> infos;
  for (const Tensor& t : in) infos.push_back({t.dtype(), t.shape()});
  const Shape out = qmatmul_infer(graph::InferContext{ctx.node, infos})[0].shape;  // the checks, on the real shapes
  const std::int64_t M = out[out.size() - 2], N = out.back(), K = in[kA].shape().back();
  const Shape batch(out.begin(), out.end() - 2);
  const std::int64_t batches = shape_numel(batch);
  // Both operands broadcast to the output's batch axes and flattened to [batches, rows, cols].
  auto broadcast = [&](const Tensor& t, std::int64_t rows, std::int64_t cols) {
    Shape full = batch;
    full.push_back(rows);
    full.push_back(cols);
    return t.broadcast_to(full).contiguous().reshape({batches, rows, cols});
  };
  const Tensor a = broadcast(in[kA], M, K), b = broadcast(in[kB], K, N);
  const std::vector<std::int32_t> a_zero = read_ints(in[kAz]), b_zero = read_ints(in[kBz]), y_zero = read_ints(in[kYz]);
  const std::vector<float> a_scale = read_scales(op, in[kAs]), b_scale = read_scales(op, in[kBs]), y_scale = read_scales(op, in[kYs]);

  std::vector<std::int32_t> acc(static_cast<std::size_t>(batches * M * N));
  if (a.dtype() == DType::u8 && b.dtype() == DType::i8 && a_zero.size() == 1 && K <= quant::kQGemmMaxK) {
    // qgemm_s32 wants the weight as [N, K] (a Linear's layout): b transposed, one row per column of b.
    std::vector<std::int32_t> zeros(static_cast<std::size_t>(N));
    for (std::int64_t j = 0; j < N; ++j) zeros[static_cast<std::size_t>(j)] = pick(b_zero, j);
    for (std::int64_t t = 0; t < batches; ++t) {
      const Tensor bt = b.select(0, t).transpose(0, 1).contiguous();
      quant::QGemmArgs args;
      args.m = M;
      args.n = N;
      args.k = K;
      args.a = a.data<std::uint8_t>() + t * M * K;
      args.lda = K;
      args.a_zero_point = a_zero[0];
      args.b = bt.data<std::int8_t>();
      args.ldb = K;
      args.b_zero_point = zeros.data();
      args.c = acc.data() + t * M * N;
      args.ldc = N;
      quant::qgemm_s32(quant::QGemmVariant::best, args);
    }
  } else {
    // a's zero point per row: element (t, i, k) has row i = (flat / K) % M; b's per column j = flat % N.
    const std::vector<std::int32_t> ca = a_zero.size() == 1 ? centred(a, a_zero, a.numel()) : [&] {
      std::vector<std::int32_t> v = centred(a, {0}, a.numel());
      for (std::size_t e = 0; e < v.size(); ++e) v[e] -= pick(a_zero, (static_cast<std::int64_t>(e) / K) % M);
      return v;
    }();
    std::vector<std::int32_t> cb = centred(b, {0}, b.numel());
    for (std::size_t e = 0; e < cb.size(); ++e) cb[e] -= pick(b_zero, static_cast<std::int64_t>(e) % N);
    for (std::int64_t t = 0; t < batches; ++t) {
      for (std::int64_t i = 0; i < M; ++i) {
        for (std::int64_t j = 0; j < N; ++j) {
          std::int64_t sum = 0;
          for (std::int64_t p = 0; p < K; ++p) {
            sum += std::int64_t{ca[static_cast<std::size_t>((t * M + i) * K + p)]} * cb[static_cast<std::size_t>((t * K + p) * N + j)];
          }
          acc[static_cast<std::size_t>((t * M + i) * N + j)] = saturate_i32(sum);
        }
      }
    }
  }
  return {requantize_codes(acc, out, in[kYz].dtype(), y_zero[0], [&](std::int64_t e) {
    return qlinear_multiplier(pick(a_scale, (e / N) % M), pick(b_scale, e % N), y_scale[0]);
  })};
}

}  // namespace

std::vector<std::string> register_qlinear_matmul_onnx_op() {
  graph::OpDef def;
  def.name = "QLinearMatMul";
  def.infer = qmatmul_infer;
  def.kernel = qmatmul_kernel;
  def.doc = "ONNX QLinearMatMul: integer matmul of u8/i8 codes (qgemm_s32 for u8 x i8), int32 accumulators, requantized";
  graph::register_op(def);
  return {"QLinearMatMul"};
}

}  // namespace gb::convert::detail
