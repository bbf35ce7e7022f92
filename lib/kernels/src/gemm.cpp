// gemm.cpp: the one entry point of the ladder: names, run-time CPU dispatch, argument checks, beta,
// and the Tensor front end. The rungs themselves are in gemm_v1_naive.cpp ... gemm_v8_threaded.cpp.
#include "gb/kernels/gemm.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "gb/core/error.hpp"
#include "gemm_internal.hpp"

namespace gb::kernels {
namespace {

struct NamedVariant {
  Variant variant;
  const char* name;
};
constexpr NamedVariant kNames[] = {
    {Variant::naive, "naive"},   {Variant::ikj, "ikj"},       {Variant::blocked, "blocked"},
    {Variant::packed, "packed"}, {Variant::micro, "micro"},   {Variant::avx2, "avx2"},
    {Variant::avx512, "avx512"}, {Variant::threaded, "threaded"}, {Variant::best, "best"},
};

// The instructions are checked at run time, never assumed at compile time: the default build runs on
// any x86-64 and the AVX files are only entered where the CPU has them.
bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
bool cpu_has_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

std::string known_names() {
  std::string s;
  for (const NamedVariant& v : kNames) s += std::string(s.empty() ? "" : ", ") + v.name;
  return s;
}

void check_operand(const char* what, const void* p, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                   const char* ld_name) {
  // A stored matrix of rows x cols (row-major) needs ld >= cols, and a pointer when it is not empty.
  if (ld < std::max<std::int64_t>(1, cols)) {
    throw Error("gemm", std::string(ld_name) + " >= max(1, " + std::to_string(cols) + ") for the stored " +
                            std::to_string(rows) + " x " + std::to_string(cols) + " matrix " + what,
                std::string(ld_name) + " = " + std::to_string(ld));
  }
  if (rows > 0 && cols > 0 && p == nullptr) {
    throw Error("gemm", std::string("a pointer to the ") + std::to_string(rows) + " x " + std::to_string(cols) +
                            " matrix " + what,
                "nullptr");
  }
}

void validate(Variant v, const GemmArgs& g) {
  if (g.m < 0 || g.n < 0 || g.k < 0) {
    throw Error("gemm", "sizes M, N, K >= 0",
                "M = " + std::to_string(g.m) + ", N = " + std::to_string(g.n) + ", K = " + std::to_string(g.k));
  }
  if (!variant_available(v)) {
    throw Error("gemm", std::string("a variant this CPU can run (") + [] {
                  std::string s;
                  for (Variant a : available_variants()) s += std::string(s.empty() ? "" : ", ") + variant_name(a);
                  return s;
                }() + ")",
                std::string(variant_name(v)) + " (the CPU lacks its instructions)");
  }
  check_operand("A", g.a, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, "lda");
  check_operand("B", g.b, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, "ldb");
  check_operand("C", g.c, g.m, g.n, g.ldc, "ldc");
  if (g.blocking.mc < 1 || g.blocking.kc < 1 || g.blocking.nc < 1) {
    throw Error("gemm", "blocking MC, KC, NC >= 1",
                "MC = " + std::to_string(g.blocking.mc) + ", KC = " + std::to_string(g.blocking.kc) +
                    ", NC = " + std::to_string(g.blocking.nc));
  }
  if (g.threads < 0) throw Error("gemm", "threads >= 0 (0 = one per core)", std::to_string(g.threads));
}

// C = beta * C. beta == 0 writes zeros without reading C, as BLAS does.
void scale_c(const GemmArgs& g) {
  if (g.beta == 1.0f) return;
  for (std::int64_t i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    if (g.beta == 0.0f) {
      std::fill(row, row + g.n, 0.0f);
    } else {
      for (std::int64_t j = 0; j < g.n; ++j) row[j] *= g.beta;
    }
  }
}

// A 2-D f32 tensor as (pointer, leading dimension, transposed): row-major rows (stride[1] == 1) as is,
// column-major (stride[0] == 1, e.g. a transpose view) as the transpose of a row-major matrix. Any
// other layout (a slice with a step, a broadcast, negative strides) is copied to row-major first.
struct Operand {
  Tensor keep;  // holds the storage (the tensor itself, or its contiguous copy)
  const float* data = nullptr;
  std::int64_t ld = 1;
  bool trans = false;
};
Operand as_operand(const Tensor& t) {
  const std::int64_t rows = t.shape()[0], cols = t.shape()[1];
  const std::int64_t s0 = t.strides()[0], s1 = t.strides()[1];
  if ((s1 == 1 || cols <= 1) && (rows <= 1 || s0 >= std::max<std::int64_t>(1, cols))) {
    return {t, t.data<float>(), rows <= 1 ? std::max<std::int64_t>(1, cols) : s0, false};
  }
  if ((s0 == 1 || rows <= 1) && (cols <= 1 || s1 >= std::max<std::int64_t>(1, rows))) {
    return {t, t.data<float>(), cols <= 1 ? std::max<std::int64_t>(1, rows) : s1, true};
  }
  Tensor copy = t.contiguous();
  return {copy, copy.data<float>(), std::max<std::int64_t>(1, cols), false};
}

}  // namespace

const std::vector<Variant>& all_variants() {
  static const std::vector<Variant> ladder = {Variant::naive, Variant::ikj,    Variant::blocked,
                                              Variant::packed, Variant::micro, Variant::avx2,
                                              Variant::avx512, Variant::threaded, Variant::best};
  return ladder;
}

bool variant_available(Variant v) {
  if (v == Variant::avx2) return cpu_has_avx2_fma();
  if (v == Variant::avx512) return cpu_has_avx512f();
  return true;
}

std::vector<Variant> available_variants() {
  std::vector<Variant> out;
  for (Variant v : all_variants()) {
    if (variant_available(v)) out.push_back(v);
  }
  return out;
}

const char* variant_name(Variant v) {
  for (const NamedVariant& n : kNames) {
    if (n.variant == v) return n.name;
  }
  return "?";
}

Variant variant_from_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const NamedVariant& n : kNames) {
    if (lower == n.name) return n.variant;
  }
  throw Error("gemm", "a variant name (" + known_names() + ")", "\"" + name + "\"");
}

Variant best_variant() {
  if (cpu_has_avx512f()) return Variant::avx512;
  if (cpu_has_avx2_fma()) return Variant::avx2;
  return Variant::micro;
}

namespace detail {
MicroKernel best_kernel() {
  switch (best_variant()) {
    case Variant::avx512: return avx512_kernel();
    case Variant::avx2: return avx2_kernel();
    default: return register_kernel();
  }
}
}  // namespace detail

void gemm(Variant v, const GemmArgs& g) {
  validate(v, g);
  if (g.m == 0 || g.n == 0) return;
  scale_c(g);
  if (g.k == 0 || g.alpha == 0.0f) return;  // C = beta * C; A and B are not read
  switch (v == Variant::best ? best_variant() : v) {
    case Variant::naive: return detail::gemm_naive(g);
    case Variant::ikj: return detail::gemm_ikj(g);
    case Variant::blocked: return detail::gemm_blocked(g);
    case Variant::packed: return detail::gemm_five_loops(g, detail::memory_kernel());
    case Variant::micro: return detail::gemm_five_loops(g, detail::register_kernel());
    case Variant::avx2: return detail::gemm_five_loops(g, detail::avx2_kernel());
    case Variant::avx512: return detail::gemm_five_loops(g, detail::avx512_kernel());
    case Variant::threaded: return detail::gemm_threaded(g, detail::best_kernel());
    case Variant::best: break;  // resolved above
  }
}

Tensor gemm(const Tensor& a, const Tensor& b, Variant v, int threads) {
  for (const Tensor* t : {&a, &b}) {
    const char* which = t == &a ? "a" : "b";
    if (!t->defined()) throw Error("gemm", std::string("a defined tensor ") + which, "an undefined tensor");
    if (t->ndim() != 2)
      throw Error("gemm", std::string("a 2-D tensor ") + which, std::to_string(t->ndim()) + "-D shape " + shape_str(t->shape()));
    if (t->dtype() != DType::f32)
      throw Error("gemm", std::string("an f32 tensor ") + which, dtype_name(t->dtype()));
  }
  if (a.shape()[1] != b.shape()[0]) {
    throw Error("gemm", "a [M, K] and b [K, N] with the same K",
                "a " + shape_str(a.shape()) + " and b " + shape_str(b.shape()));
  }
  Tensor c = Tensor::zeros({a.shape()[0], b.shape()[1]}, DType::f32);
  const Operand oa = as_operand(a), ob = as_operand(b);
  GemmArgs g;
  g.m = a.shape()[0];
  g.n = b.shape()[1];
  g.k = a.shape()[1];
  g.a = oa.data;
  g.lda = oa.ld;
  g.trans_a = oa.trans;
  g.b = ob.data;
  g.ldb = ob.ld;
  g.trans_b = ob.trans;
  g.c = c.data<float>();
  g.ldc = std::max<std::int64_t>(1, g.n);
  g.threads = threads;
  gemm(v, g);
  return c;
}

}  // namespace gb::kernels
