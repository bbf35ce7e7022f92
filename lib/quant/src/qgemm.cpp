// qgemm.cpp: the integer GEMM's front door: variant names, the run-time CPU check, argument checks,
// and the Tensor-level int8 Linear (qgemm.hpp).
//
// Reading order: names and CPU checks, qgemm_s32 (validate, then one driver: qgemm_reference.cpp or
// qgemm_packed.cpp with an ISA micro-kernel), qlinear. The output stage (requantize_rows,
// make_requantization) is qrequantize.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "gb/core/error.hpp"
#include "qgemm_internal.hpp"
#include "qtensor_checks.hpp"

namespace gb::quant {
namespace {

struct NamedVariant {
  QGemmVariant variant;
  const char* name;
};
constexpr NamedVariant kNames[] = {
    {QGemmVariant::reference, "reference"},   {QGemmVariant::packed, "packed"},
    {QGemmVariant::avx2, "avx2"},             {QGemmVariant::avxvnni, "avxvnni"},
    {QGemmVariant::avx512vnni, "avx512vnni"}, {QGemmVariant::vnni, "vnni"},
    {QGemmVariant::best, "best"},
};

// __builtin_cpu_supports reads CPUID (and, for AVX and AVX-512, whether the OS saves the registers):
// the build assumes nothing beyond x86-64 and the ISA files are only entered where the CPU has them.
// AVX-VNNI is CPUID leaf 7, subleaf 1, EAX bit 4, read directly: GCC 12 knows the name "avxvnni" but clang 14
// (the fuzz build) does not. It needs no OS support beyond AVX2's YMM state, which the avx2 check covers.
#if defined(__x86_64__) || defined(__i386__)
bool cpu_has_avxvnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return ((eax >> 4) & 1u) != 0;
}
#endif

bool cpu_has(QGemmVariant v) {
#if defined(__x86_64__) || defined(__i386__)
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  switch (v) {
    case QGemmVariant::avx2: return avx2;
    case QGemmVariant::avxvnni: return avx2 && cpu_has_avxvnni();
    case QGemmVariant::avx512vnni:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    default: return true;
  }
#else
  return v != QGemmVariant::avx2 && v != QGemmVariant::avxvnni && v != QGemmVariant::avx512vnni;
#endif
}

std::string known_names() {
  std::string s;
  for (const NamedVariant& v : kNames) s += std::string(s.empty() ? "" : ", ") + v.name;
  return s;
}

// Everything qgemm_s32 and qgemm_s32_indirect check before any byte is read.
void check_args(const char* op, QGemmVariant v, const QGemmArgs& g, bool plain_a) {
  if (g.m < 0 || g.n < 0 || g.k < 0) {
    throw Error(op, "m, n, k >= 0", std::to_string(g.m) + ", " + std::to_string(g.n) + ", " + std::to_string(g.k));
  }
  if (g.k > kQGemmMaxK) {
    throw Error(op, "k <= " + std::to_string(kQGemmMaxK) + " (|acc| <= k * 255 * 255 must fit int32)",
                "k = " + std::to_string(g.k));
  }
  if (g.m > 0 && g.n > 0) {
    if (g.c == nullptr) throw Error(op, "a C pointer for a non-empty result", "nullptr");
    if (g.ldc < g.n) throw Error(op, "ldc >= n = " + std::to_string(g.n), "ldc = " + std::to_string(g.ldc));
    if (g.k > 0) {
      if ((plain_a && g.a == nullptr) || g.b == nullptr) throw Error(op, "A and B pointers for k > 0", "nullptr");
      if (plain_a && g.lda < g.k) throw Error(op, "lda >= k = " + std::to_string(g.k), "lda = " + std::to_string(g.lda));
      if (g.ldb < g.k) throw Error(op, "ldb >= k = " + std::to_string(g.k), "ldb = " + std::to_string(g.ldb));
    }
  }
  if (g.a_zero_point < 0 || g.a_zero_point > 255) {
    throw Error(op, "a uint8 zero point in [0, 255]", std::to_string(g.a_zero_point));
  }
  if (g.b_zero_point != nullptr) {
    for (std::int64_t j = 0; j < g.n; ++j) {
      if (g.b_zero_point[j] < -128 || g.b_zero_point[j] > 127) {
        throw Error(op, "int8 zero points in [-128, 127]",
                    "b_zero_point[" + std::to_string(j) + "] = " + std::to_string(g.b_zero_point[j]));
      }
    }
  }
  if (!qgemm_variant_available(v)) {
    throw Error(op, "a variant this CPU can run (" + [] {
      std::string s;
      for (QGemmVariant a : available_qgemm_variants()) s += std::string(s.empty() ? "" : ", ") + qgemm_variant_name(a);
      return s;
    }() + ")", qgemm_variant_name(v));
  }
}

// k == 0: every accumulator is an empty sum.
bool trivial(const QGemmArgs& g) {
  if (g.m == 0 || g.n == 0) return true;
  if (g.k == 0) {
    for (std::int64_t i = 0; i < g.m; ++i) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + g.n, 0);
    return true;
  }
  return false;
}

}  // namespace

// --- names and the CPU check ------------------------------------------------------------------------

const char* qgemm_variant_name(QGemmVariant v) {
  for (const NamedVariant& n : kNames) {
    if (n.variant == v) return n.name;
  }
  return "?";
}

QGemmVariant qgemm_variant_from_name(const std::string& name) {
  for (const NamedVariant& n : kNames) {
    if (name == n.name) return n.variant;
  }
  throw Error("qgemm_variant_from_name", "one of " + known_names(), "'" + name + "'");
}

const std::vector<QGemmVariant>& all_qgemm_variants() {
  static const std::vector<QGemmVariant> all = [] {
    std::vector<QGemmVariant> v;
    for (const NamedVariant& n : kNames) v.push_back(n.variant);
    return v;
  }();
  return all;
}

bool qgemm_variant_available(QGemmVariant v) {
  if (v == QGemmVariant::vnni) return cpu_has(QGemmVariant::avx512vnni) || cpu_has(QGemmVariant::avxvnni);
  return cpu_has(v);
}

std::vector<QGemmVariant> available_qgemm_variants() {
  std::vector<QGemmVariant> out;
  for (QGemmVariant v : all_qgemm_variants()) {
    if (qgemm_variant_available(v)) out.push_back(v);
  }
  return out;
}

QGemmVariant resolve_qgemm_variant(QGemmVariant v) {
  if (v == QGemmVariant::vnni || v == QGemmVariant::best) {
    if (cpu_has(QGemmVariant::avx512vnni)) return QGemmVariant::avx512vnni;
    if (cpu_has(QGemmVariant::avxvnni)) return QGemmVariant::avxvnni;
    if (v == QGemmVariant::vnni) throw Error("qgemm", "a CPU with AVX-512 VNNI or AVX-VNNI for 'vnni'", "neither");
    return cpu_has(QGemmVariant::avx2) ? QGemmVariant::avx2 : QGemmVariant::packed;
  }
  return v;
}

// --- the GEMM -----------------------------------------------------------------------------------------

namespace detail {

QMicroKernel qgemm_kernel(QGemmVariant concrete) {
  switch (concrete) {
    case QGemmVariant::avx2: return avx2_qkernel();
    case QGemmVariant::avxvnni: return avxvnni_qkernel();
    case QGemmVariant::avx512vnni: return avx512vnni_qkernel();
    default: return portable_qkernel();
  }
}

void qgemm_dispatch(QGemmVariant concrete, const QASource& a, const QGemmArgs& args) {
  if (concrete == QGemmVariant::reference) {
    qgemm_reference(a, args);
  } else {
    qgemm_packed(qgemm_kernel(concrete), a, args);
  }
}

}  // namespace detail

void qgemm_s32(QGemmVariant v, const QGemmArgs& args) {
  check_args("qgemm_s32", v, args, true);
  if (trivial(args)) return;
  detail::QASource a;
  a.a = args.a;
  a.lda = args.lda;
  a.channels = args.k;
  detail::qgemm_dispatch(resolve_qgemm_variant(v), a, args);
}

void qgemm_s32_indirect(QGemmVariant v, const QIndirectA& ind, QGemmArgs args) {
  const char* op = "qgemm_s32_indirect";
  if (ind.taps < 1 || ind.channels < 0 || ind.taps * ind.channels != args.k) {
    throw Error(op, "taps >= 1, channels >= 0 and taps * channels == k = " + std::to_string(args.k),
                "taps = " + std::to_string(ind.taps) + ", channels = " + std::to_string(ind.channels));
  }
  check_args(op, v, args, false);
  if (args.m > 0 && args.n > 0 && args.k > 0 && ind.indirection == nullptr) {
    throw Error(op, "an indirection buffer for k > 0", "nullptr");
  }
  if (trivial(args)) return;
  detail::QASource a;
  a.indirection = ind.indirection;
  a.taps = ind.taps;
  a.channels = ind.channels;
  detail::qgemm_dispatch(resolve_qgemm_variant(v), a, args);
}

// --- int8 Linear --------------------------------------------------------------------------------------

QTensor qlinear(const QTensor& x, const QTensor& w, const Tensor& bias, const QParams& output, bool relu,
                QGemmVariant v) {
  const char* op = "qlinear";
  detail::check_activation(op, x, 2);
  const std::int64_t m = x.values.shape()[0], k = x.values.shape()[1];
  detail::check_weight(op, w, 2);
  const std::int64_t n = w.values.shape()[0];
  if (w.values.shape()[1] != k) {
    throw Error(op, "w of shape [N, K] with K = " + std::to_string(k) + " (x's columns)", shape_str(w.values.shape()));
  }
  if (bias.defined() && (bias.ndim() != 1 || bias.shape()[0] != n)) {
    throw Error(op, "a bias of shape [" + std::to_string(n) + "] (or none)", shape_str(bias.shape()));
  }
  const Requantization r = make_requantization(x.params, w.params, bias, output, relu);
  const std::vector<std::int32_t> b_zero = detail::weight_zero_points(w, n);

  const Tensor xv = x.values.contiguous(), wv = w.values.contiguous();
  std::vector<std::int32_t> acc(static_cast<std::size_t>(m * n));
  QGemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = xv.data<std::uint8_t>();
  g.lda = k;
  g.a_zero_point = x.params.zero_point[0];
  g.b = wv.data<std::int8_t>();
  g.ldb = k;
  g.b_zero_point = b_zero.empty() ? nullptr : b_zero.data();
  g.c = acc.data();
  g.ldc = n;
  qgemm_s32(v, g);

  QTensor out{Tensor::empty({m, n}, DType::u8), output};
  requantize_rows(acc.data(), m, n, n, r, out.values.data<std::uint8_t>(), n, v);
  return out;
}

}  // namespace gb::quant
