// 05-ad-modes-and-jacobians: jacrev vs jacfwd (m vs n passes), one recorded reverse pass, a Hessian
// by reverse over reverse, checkpointing's memory for compute trade, and derivatives of any order.
// Every number comes from running gb::autodiff; the scenario checks them and throws gb::Error when
// one is wrong (like a Halide tutorial).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_05_ad_modes_and_jacobians;

namespace {

namespace ad = gb::autodiff;
using ad::Variable;
using trace::Level;
using trace::Recorder;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 05-ad-modes-and-jacobians self-check", what, given);
}

// f(x) = tanh(W x) for a random W of shape m x n.
ad::TensorFunction layer(Rng& rng, std::int64_t m, std::int64_t n) {
  Tensor w = rng.normal({m, n}, 0, 1, DType::f64);
  return [w](const Variable& x) { return ad::tanh(ad::matmul(ad::constant(w), x)); };
}

// --- 1. passes of jacrev and jacfwd as n or m grows ------------------------------------------------
void mode_costs(Recorder& rec, Rng& rng, std::int64_t max_size) {
  rec.add_scene(trace::plot_scene("passes_n", "Passes for the Jacobian of f: R^n -> R^2", "n (inputs)", "passes"));
  rec.add_scene(trace::plot_scene("passes_m", "Passes for the Jacobian of f: R^2 -> R^m", "m (outputs)", "passes"));
  rec.add_scene(trace::table_scene("costs", "Jacobian passes", {"n", "m", "jacrev VJPs", "jacfwd JVPs"}));
  for (const char* axis : {"n", "m"}) {
    const bool grow_n = std::string(axis) == "n";
    for (std::int64_t size = 1; size <= max_size; size *= 2) {
      const std::int64_t n = grow_n ? size : 2, m = grow_n ? 2 : size;
      ad::TensorFunction f = layer(rng, m, n);
      Tensor x = rng.normal({n}, 0, 1, DType::f64);
      ad::PassCount rev, fwd;
      Tensor jr = ad::jacrev(f, x, &rev);
      Tensor jf = ad::jacfwd(f, x, &fwd);
      check(allclose(jr, jf, 1e-9, 1e-12), "jacrev and jacfwd to agree", "different Jacobians for n=" + std::to_string(n));
      check(rev.vjp == m && fwd.jvp == n, "m VJPs and n JVPs",
            std::to_string(rev.vjp) + " VJPs and " + std::to_string(fwd.jvp) + " JVPs");
      const std::string scene = grow_n ? "passes_n" : "passes_m";
      rec.step("f: R^" + std::to_string(n) + " -> R^" + std::to_string(m) + ": jacrev took " + std::to_string(rev.vjp) +
                   " backward passes (one per output), jacfwd " + std::to_string(fwd.jvp) + " JVPs (one per input).",
               Level::op)
          .add_point(scene, "jacrev (VJPs)", static_cast<double>(size), static_cast<double>(rev.vjp))
          .add_point(scene, "jacfwd (JVPs)", static_cast<double>(size), static_cast<double>(fwd.jvp))
          .add_row("costs", {std::to_string(n), std::to_string(m), std::to_string(rev.vjp), std::to_string(fwd.jvp)});
    }
  }
}

// --- 2. one reverse pass, recorded by the library itself ----------------------------------------
void recorded_reverse(Recorder& rec, Rng& rng) {
  Tensor w = rng.normal({2, 3}, 0, 1, DType::f64);
  Tensor x = Tensor::from_values({0.5, -1, 2}, {3}, DType::f64);
  Tensor j;
  {
    trace::ScopedRecorder attach(rec);  // gb::autodiff records into scene "autodiff" while attached
    Variable wv(w, false, "W");
    j = ad::jacrev([&](const Variable& v) { return ad::tanh(ad::matmul(wv, v)); }, x);
  }
  Tensor y = ad::tanh(ad::matmul(ad::constant(w), ad::constant(x))).value();
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t k = 0; k < 3; ++k) {
      const double expected = (1 - y.at({i}) * y.at({i})) * w.at({i, k});
      check(std::abs(j.at({i, k}) - expected) < 1e-12, "J = diag(1 - y^2) W", number(j.at({i, k})));
    }
  }
  rec.step("Both rows of J are in: J[0] = [" + number(j.at({0, 0})) + ", " + number(j.at({0, 1})) + ", " +
               number(j.at({0, 2})) + "], equal to diag(1 - y^2) W.",
           Level::pass);
}

// --- 3. a Hessian by reverse over reverse -------------------------------------------------------------
void hessian_table(Recorder& rec) {
  Tensor x = Tensor::from_values({1, -2, 0.5}, {3}, DType::f64);
  auto f = [](const Variable& v) {
    Variable first_two = ad::mul(v, ad::constant(Tensor::from_values({1, 0, 0}, {3}, DType::f64)));
    Variable second = ad::mul(v, ad::constant(Tensor::from_values({0, 1, 0}, {3}, DType::f64)));
    return ad::add(ad::sum(ad::pow(v, 3.0)), ad::mul(ad::sum(first_two), ad::sum(second)));
  };
  ad::PassCount passes;
  Tensor h = ad::hessian(f, x, &passes);
  rec.add_scene(trace::table_scene("hessian", "H of f(x) = sum(x^3) + x0 x1 at x = [1, -2, 0.5]", {"row", "H[row, 0]", "H[row, 1]", "H[row, 2]"}));
  for (std::int64_t r = 0; r < 3; ++r) {
    std::vector<std::string> row = {std::to_string(r)};
    for (std::int64_t c = 0; c < 3; ++c) {
      const double expected = (r == c ? 6 * x.at({r}) : 0) + ((r == 0 && c == 1) || (r == 1 && c == 0) ? 1 : 0);
      check(std::abs(h.at({r, c}) - expected) < 1e-12, "H = diag(6x) + the x0 x1 term", number(h.at({r, c})));
      check(h.at({r, c}) == h.at({c, r}), "a symmetric Hessian", "H[r, c] != H[c, r]");
      row.push_back(number(h.at({r, c})));
    }
    rec.step("Row " + std::to_string(r) + " of H: the gradient of g[" + std::to_string(r) +
                 "], one backward pass through the recorded backward pass.",
             Level::op)
        .add_row("hessian", row);
  }
  check(passes.vjp == 4, "n + 1 = 4 backward passes", std::to_string(passes.vjp));
}

// --- 4. checkpointing: saved bytes with and without ----------------------------------------------
void checkpoint_memory(Recorder& rec, Rng& rng, std::int64_t max_layers) {
  const std::int64_t batch = 16, width = 32;
  std::vector<Variable> weights;
  for (std::int64_t l = 0; l < max_layers; ++l) {
    weights.emplace_back(gb::mul(rng.normal({width, width}, 0, 1, DType::f64), Tensor::scalar(0.2, DType::f64)), true);
  }
  Tensor x = rng.normal({batch, width}, 0, 1, DType::f64);
  rec.add_scene(trace::plot_scene("memory", "Saved tensors of backward, N tanh layers (batch 16, width 32)", "layers N", "bytes"));
  rec.add_scene(trace::table_scene("memory_table", "Saved bytes", {"layers", "plain", "checkpointed", "ratio"}));
  for (std::int64_t layers = 1; layers <= max_layers; layers *= 2) {
    std::vector<Tensor> grads[2];
    std::int64_t bytes[2] = {0, 0};
    for (int checkpointed = 0; checkpointed < 2; ++checkpointed) {
      Variable h(x);
      for (std::int64_t l = 0; l < layers; ++l) {
        const Variable& w = weights[static_cast<std::size_t>(l)];
        auto segment = [w](const std::vector<Variable>& in) { return ad::tanh(ad::matmul(in[0], w)); };
        h = checkpointed ? ad::checkpoint(segment, {h}) : segment({h});
      }
      Variable loss = ad::mean(ad::mul(h, h));
      bytes[checkpointed] = ad::saved_memory(loss).saved_bytes;
      loss.backward();
      for (std::int64_t l = 0; l < layers; ++l) {
        grads[checkpointed].push_back(weights[static_cast<std::size_t>(l)].grad().value());
        weights[static_cast<std::size_t>(l)].zero_grad();
      }
    }
    for (std::size_t l = 0; l < grads[0].size(); ++l) {
      check(grads[0][l].to_vector() == grads[1][l].to_vector(), "identical gradients with checkpointing", "a difference");
    }
    check(layers == 1 || bytes[1] < bytes[0], "less saved memory with checkpoints", number(static_cast<double>(bytes[1])));
    const double ratio = static_cast<double>(bytes[0]) / static_cast<double>(bytes[1]);
    rec.step(std::to_string(layers) + " layers: backward keeps " + std::to_string(bytes[0]) + " bytes of saved tensors, " +
                 std::to_string(bytes[1]) + " with a checkpoint per layer (" + number(ratio) + "x less), same gradients.",
             Level::op)
        .add_point("memory", "plain", static_cast<double>(layers), static_cast<double>(bytes[0]))
        .add_point("memory", "checkpoint every layer", static_cast<double>(layers), static_cast<double>(bytes[1]))
        .add_row("memory_table", {std::to_string(layers), std::to_string(bytes[0]), std::to_string(bytes[1]), number(ratio)});
  }
}

// --- 5. derivatives of any order --------------------------------------------------------------------
void higher_order(Recorder& rec) {
  rec.add_scene(trace::table_scene("orders", "Derivatives of f(x) = x^3 at x = 2", {"order", "value", "expected"}));
  Variable x(Tensor::scalar(2.0, DType::f64), true, "x");
  Variable d = ad::pow(x, 3.0);
  const double expected[] = {8, 12, 12, 6, 0};
  for (int order = 0; order <= 4; ++order) {
    check(std::abs(d.value().item() - expected[order]) < 1e-12, "the derivative of order " + std::to_string(order),
          number(d.value().item()));
    rec.step("Order " + std::to_string(order) + ": " + number(d.value().item()) +
                 (order < 4 ? "; differentiate the recorded backward pass once more." : "."),
             Level::op)
        .add_row("orders", {std::to_string(order), number(d.value().item()), number(expected[order])});
    if (order < 4) d = ad::grad(d, {x}, Tensor(), {true, true})[0];
  }
}

trace::Recording scenario(const Params& params) {
  Recorder rec("05-ad-modes-and-jacobians", "AD modes, Jacobians and Hessians");
  Rng rng(static_cast<std::uint64_t>(param_int(params, "seed")));
  const std::int64_t max_size = param_int(params, "max_size");
  const std::int64_t max_layers = param_int(params, "max_layers");
  if (max_size < 1 || max_size > 64 || max_layers < 1 || max_layers > 64) {
    throw Error("lesson 05-ad-modes-and-jacobians", "max_size and max_layers in [1, 64]",
                std::to_string(max_size) + " and " + std::to_string(max_layers));
  }
  rec.section("1. Two ways to build a Jacobian");
  mode_costs(rec, rng, max_size);
  rec.section("2. The reverse pass, step by step");
  recorded_reverse(rec, rng);
  rec.section("3. Hessians: reverse over reverse");
  hessian_table(rec);
  rec.section("4. Checkpointing: memory for compute");
  checkpoint_memory(rec, rng, max_layers);
  rec.section("5. Higher-order derivatives");
  higher_order(rec);
  rec.section("Exercises");
  rec.step("Exercise autodiff.reverse.jacrev: build the Jacobian one VJP per row (make exercise TASK=autodiff.reverse.jacrev).",
           Level::pass);
  return rec.take();
}

}  // namespace

Lesson lesson_05_ad_modes_and_jacobians() {
  return {"05-ad-modes-and-jacobians",
          "AD modes, Jacobians and Hessians",
          "Part I, framework core",
          {{"seed", "5", "seed of the random weights and inputs"},
           {"max_size", "8", "largest n (and m) in the pass-count plots (powers of two from 1)"},
           {"max_layers", "16", "largest number of layers in the checkpointing plot (powers of two from 1)"}},
          lesson_text_05_ad_modes_and_jacobians,
          scenario};
}

}  // namespace gb::lessons
