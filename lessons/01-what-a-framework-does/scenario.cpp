// 01-what-a-framework-does: training is reverse differentiation of a composite function. A three-layer
// chain shows the chain rule's shared prefixes (backpropagation); a small multi-layer perceptron on
// the UCI digits runs eagerly on the tape (nodes appear as the code runs) and declared as a graph
// (the whole graph first, then values flow); trained both ways it gives the same losses, step by step.
// The scenario checks its own numbers: the chain against the chain rule written out, the two
// paradigms against each other.
#include <cmath>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"
#include "gb/graph/builder.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/data.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_01_what_a_framework_does;

namespace {

namespace g = gb::graph;
namespace ad = gb::autodiff;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 01-what-a-framework-does self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// --- 1. the three-layer chain ------------------------------------------------------------------------
// h1 = sigmoid(w1 x), h2 = sigmoid(w2 h1), y = w3 h2, L = (y - t)^2 / 2.
struct Chain {
  double x = 1.5, t = 0.5, w1 = 0.8, w2 = -1.2, w3 = 2.0;
};

void three_layer_chain(Recorder& rec, const Chain& c) {
  rec.section("1. Training is reverse differentiation of a composite function");
  g::Builder bld;
  const auto scalar = [&](const std::string& name) { return bld.placeholder(name, {}, DType::f64).named(name); };
  const g::Sym x = scalar("x"), t = scalar("t"), w1 = scalar("w1"), w2 = scalar("w2"), w3 = scalar("w3");
  const g::Sym h1 = sigmoid(w1 * x).named("h1");
  const g::Sym h2 = sigmoid(w2 * h1).named("h2");
  const g::Sym y = (w3 * h2).named("y");
  const g::Sym loss = ((y - t) * (y - t) * 0.5).named("L");
  std::vector<g::Sym> grads;
  {
    trace::ScopedPause pause;  // the pass itself is lesson 06's subject; here we look at its result
    grads = bld.grad(loss, {w3, w2, w1});
  }
  bld.output(loss, grads[0], grads[1], grads[2]);
  rec.add_scene(g::to_scene(bld.graph(), "chain", "L(w1, w2, w3): three layers forward, then the backward graph"));
  rec.add_scene(trace::table_scene("prefixes", "The chain rule from the loss end: each gradient extends a shared prefix",
                                   {"gradient", "chain of factors", "shared prefix", "value"}));
  const g::Feeds feeds = {{"x", Tensor::scalar(c.x, DType::f64)},   {"t", Tensor::scalar(c.t, DType::f64)},
                          {"w1", Tensor::scalar(c.w1, DType::f64)}, {"w2", Tensor::scalar(c.w2, DType::f64)},
                          {"w3", Tensor::scalar(c.w3, DType::f64)}};
  std::vector<Tensor> out;
  {
    trace::ScopedPause pause;
    out = bld.run(feeds);
  }
  // The chain rule written out by hand, from the loss end (an oracle independent of the graph).
  const double s1 = 1 / (1 + std::exp(-c.w1 * c.x)), s2 = 1 / (1 + std::exp(-c.w2 * s1)), yv = c.w3 * s2;
  const double d3 = yv - c.t;                     // dL/dy
  const double d2 = d3 * c.w3 * s2 * (1 - s2);    // dL/d(w2 h1) = dL/dy * dy/dh2 * dh2/d(w2 h1)
  const double d1 = d2 * c.w2 * s1 * (1 - s1);    // dL/d(w1 x)
  const double expected[3] = {d3 * s2, d2 * s1, d1 * c.x};
  const char* names[3] = {"dL/dw3", "dL/dw2", "dL/dw1"};
  const char* chains[3] = {"(y - t) * h2", "(y - t) * w3 * h2(1 - h2) * h1",
                           "(y - t) * w3 * h2(1 - h2) * w2 * h1(1 - h1) * x"};
  const char* prefixes[3] = {"delta3 = y - t", "delta2 = delta3 * w3 * h2(1 - h2)", "delta1 = delta2 * w2 * h1(1 - h1)"};
  check(std::fabs(out[0].item() - 0.5 * d3 * d3) < 1e-15, "L = (y - t)^2 / 2", out[0].str());
  rec.step("Forward through three layers: h1 = " + num(s1) + ", h2 = " + num(s2) + ", y = " + num(yv) +
               ", L = " + num(out[0].item()) + ".",
           Level::pass)
      .highlight("chain", "n" + std::to_string(bld.graph().value(loss.id()).producer));
  for (int k = 0; k < 3; ++k) {
    check(std::fabs(out[1 + k].item() - expected[k]) < 1e-14, std::string(names[k]) + " by the chain rule",
          out[1 + k].str());
    const std::string how = k == 0 ? std::string(" starts the chain: ") + prefixes[0] + ", times h2."
                                   : std::string(" reuses the prefix above: ") + prefixes[k] +
                                         " costs two more multiplications, not a new chain.";
    rec.step(std::string(names[k]) + " = " + num(out[1 + k].item()) + how, Level::op)
        .highlight("chain", "n" + std::to_string(bld.graph().value(grads[k].id()).producer))
        .add_row("prefixes", {names[k], chains[k], prefixes[k], num(out[1 + k].item())});
  }
}

// --- 2-4. one multi-layer perceptron, two paradigms ---------------------------------------------------
// logits = tanh(x W1 + b1) W2 + b2; loss = mean over the batch of -sum(onehot * log_softmax(logits)).
struct Mlp {
  Tensor w1, b1, w2, b2;
};

Mlp init_mlp(std::int64_t hidden, std::uint64_t seed) {
  Rng rng(seed);
  const double a1 = 1 / std::sqrt(64.0), a2 = 1 / std::sqrt(static_cast<double>(hidden));
  return {rng.uniform({64, hidden}, -a1, a1, DType::f64), rng.uniform({hidden}, -a1, a1, DType::f64),
          rng.uniform({hidden, 10}, -a2, a2, DType::f64), rng.uniform({10}, -a2, a2, DType::f64)};
}

struct Feed {
  Tensor x, onehot;  // f64 [B, 64], f64 [B, 10]
};

Feed feed_of(const nn::Batch& b) {
  const std::int64_t n = b.labels.size(0);
  Feed f{b.images.reshape({n, 64}).to(DType::f64), Tensor::zeros({n, 10}, DType::f64)};
  for (std::int64_t i = 0; i < n; ++i) f.onehot.set({i, static_cast<std::int64_t>(b.labels.at({i}))}, 1.0);
  return f;
}

// Eager: every line runs at once; the tape records a node per op as it runs.
struct EagerStep {
  ad::Variable loss;
  std::vector<ad::Variable> params;
};
EagerStep eager_step(const Mlp& m, const Feed& f) {
  EagerStep s;
  s.params = {ad::Variable(m.w1, true, "W1"), ad::Variable(m.b1, true, "b1"), ad::Variable(m.w2, true, "W2"),
              ad::Variable(m.b2, true, "b2")};
  const ad::Variable x(f.x, false, "x"), y(f.onehot, false, "onehot");
  const ad::Variable hidden = ad::tanh(ad::matmul(x, s.params[0]) + s.params[1]);
  const ad::Variable logits = ad::matmul(hidden, s.params[2]) + s.params[3];
  const ad::Variable log_p = logits - ad::log(ad::sum(ad::exp(logits), {1}, true));
  s.loss = ad::neg(ad::mean(ad::sum(y * log_p, {1})));
  s.loss.backward();
  return s;
}

// Declared: the same formula as symbols, its backward graph appended by the pass; nothing runs yet.
struct Declared {
  g::Builder bld;
  g::Sym loss;
};
void declare_mlp(Declared& d, std::int64_t batch, std::int64_t hidden) {
  g::Builder& b = d.bld;
  const g::Sym x = b.placeholder("x", {batch, 64}, DType::f64).named("x");
  const g::Sym y = b.placeholder("onehot", {batch, 10}, DType::f64).named("onehot");
  const g::Sym w1 = b.placeholder("W1", {64, hidden}, DType::f64).named("W1");
  const g::Sym b1 = b.placeholder("b1", {hidden}, DType::f64).named("b1");
  const g::Sym w2 = b.placeholder("W2", {hidden, 10}, DType::f64).named("W2");
  const g::Sym b2 = b.placeholder("b2", {10}, DType::f64).named("b2");
  const g::Sym hidden_layer = tanh(matmul(x, w1) + b1);
  const g::Sym logits = matmul(hidden_layer, w2) + b2;
  const g::Sym log_p = logits - log(sum(exp(logits), {1}, true));
  d.loss = (-mean(sum(y * log_p, {1}))).named("loss");
  trace::ScopedPause pause;
  const std::vector<g::Sym> grads = b.grad(d.loss, {w1, b1, w2, b2});
  b.output({d.loss, grads[0], grads[1], grads[2], grads[3]});
}
g::Feeds feeds_of(const Mlp& m, const Feed& f) {
  return {{"x", f.x}, {"onehot", f.onehot}, {"W1", m.w1}, {"b1", m.b1}, {"W2", m.w2}, {"b2", m.b2}};
}

double biggest_difference(const std::vector<Tensor>& declared, const EagerStep& eager) {
  double d = max_abs_diff(declared[0], eager.loss.value());
  for (std::size_t k = 0; k < 4; ++k) d = std::max(d, max_abs_diff(declared[1 + k], eager.params[k].grad().value()));
  return d;
}

void define_by_run(Recorder& rec, const Mlp& m, const Feed& f) {
  rec.section("2. Define-by-run: the graph appears as the code runs");
  const EagerStep s = eager_step(m, f);  // recorded by the tape: forward nodes, then adjoints
  rec.step("The tape recorded " + std::to_string(ad::backward_order(s.loss).size()) +
               " nodes while the code ran and has already been used once: loss = " + num(s.loss.value().item()) + ".",
           Level::pass);
}

void define_and_run(Recorder& rec, const Mlp& m, const Feed& f, std::int64_t hidden) {
  rec.section("3. Define-and-run: the whole graph first, then values flow");
  Declared d;
  declare_mlp(d, f.x.size(0), hidden);
  rec.step("Declared " + std::to_string(d.bld.graph().size()) +
               " nodes, forward and backward, before any data arrived; the shapes are already known.",
           Level::pass);
  g::RunOptions options;
  options.scene_prefix = "declared_";
  const g::RunResult r = g::run_fifo(d.bld.graph(), feeds_of(m, f), options);  // recorded: values flow
  trace::ScopedPause pause;
  const double diff = biggest_difference(r.outputs, eager_step(m, f));
  check(diff <= 1e-12, "the declared graph's loss and gradients equal the tape's", sci(diff));
  rec.step("run(feeds) filled the graph: loss = " + num(r.outputs[0].item()) +
               ", and the loss and all four gradients differ from the tape's by at most " + sci(diff) + ".",
           Level::pass);
}

void update(Mlp& m, const std::vector<Tensor>& grads, double lr) {
  Tensor* params[4] = {&m.w1, &m.b1, &m.w2, &m.b2};
  for (std::size_t k = 0; k < 4; ++k) *params[k] = gb::sub(*params[k], gb::mul(grads[k], Tensor::scalar(lr, DType::f64)));
}

void train_both_ways(Recorder& rec, const Mlp& start, const nn::DataLoader& loader, std::int64_t steps,
                     std::int64_t hidden, double lr) {
  rec.section("4. Trained both ways: the same losses");
  rec.add_scene(trace::plot_scene("losses", "Training loss per step, eager (tape) and declared (graph)", "step",
                                  "cross-entropy"));
  trace::ScopedPause pause;  // the runs below are not drawn node by node, only their losses
  Mlp eager = start, declared = start;
  Declared d;
  declare_mlp(d, loader.batch_size(), hidden);
  const std::vector<std::int64_t> order = loader.epoch_order(0);
  double worst = 0, first = 0, last = 0;
  std::vector<double> xs, eager_losses, declared_losses;
  for (std::int64_t step = 0; step < steps; ++step) {
    const Feed f = feed_of(loader.batch(order, step % (loader.batches_per_epoch() - 1)));  // full batches only
    const EagerStep s = eager_step(eager, f);
    update(eager, {s.params[0].grad().value(), s.params[1].grad().value(), s.params[2].grad().value(),
                   s.params[3].grad().value()},
           lr);
    const std::vector<Tensor> out = d.bld.run(feeds_of(declared, f));
    update(declared, {out[1], out[2], out[3], out[4]}, lr);
    worst = std::max(worst, std::fabs(out[0].item() - s.loss.value().item()));
    xs.push_back(static_cast<double>(step));
    eager_losses.push_back(s.loss.value().item());
    declared_losses.push_back(out[0].item());
    if (step == 0) first = s.loss.value().item();
    last = s.loss.value().item();
  }
  worst = std::max(worst, max_abs_diff(eager.w1, declared.w1));
  check(worst <= 1e-12, "the same losses and weights both ways", sci(worst));
  check(last < first, "training lowers the loss", num(first) + " -> " + num(last));
  trace::ScopedRecorder resume(rec);  // only the summary steps below
  rec.step("Eager and declared SGD both ran " + std::to_string(steps) + " steps from the same weights; the curves " +
               "lie on top of each other (largest difference " + sci(worst) + ").",
           Level::pass)
      .set_series("losses", "eager", xs, eager_losses)
      .set_series("losses", "declared", xs, declared_losses);
  rec.step("The loss fell from " + num(first) + " to " + num(last) + " (ln 10 = 2.3026 is a uniform guess).",
           Level::op);
}

void functional_style(Recorder& rec, const Mlp& m, const Feed& f) {
  rec.section("5. The functional style");
  trace::ScopedPause pause;
  const EagerStep s = eager_step(m, f);
  // grad as a function of the loss and the parameters, leaving .grad() alone (jax.grad, torch.autograd.grad).
  ad::Variable w1(m.w1, true, "W1"), b1(m.b1, true, "b1"), w2(m.w2, true, "W2"), b2(m.b2, true, "b2");
  const ad::Variable x = ad::constant(f.x), y = ad::constant(f.onehot);
  const ad::Variable logits = ad::matmul(ad::tanh(ad::matmul(x, w1) + b1), w2) + b2;
  const ad::Variable loss = ad::neg(ad::mean(ad::sum(y * (logits - ad::log(ad::sum(ad::exp(logits), {1}, true))), {1})));
  const std::vector<ad::Variable> g = ad::grad(loss, {w1, b1, w2, b2});
  double diff = 0;
  for (std::size_t k = 0; k < 4; ++k) diff = std::max(diff, max_abs_diff(g[k].value(), s.params[k].grad().value()));
  check(diff == 0, "grad(loss, params) equals the accumulated .grad()", sci(diff));
  check(!w1.grad().defined(), "grad() leaves .grad() untouched", "a gradient in W1.grad()");
  trace::ScopedRecorder resume(rec);
  rec.step("grad(loss, params) returned the same four gradients as a value, without touching any .grad().",
           Level::pass);
}

trace::Recording what_a_framework_does(const Params& params) {
  Recorder rec("01-what-a-framework-does", "What a framework does: differentiate, then train");
  const auto seed = static_cast<std::uint64_t>(param_int(params, "seed"));
  const std::int64_t hidden = param_int(params, "hidden"), batch = param_int(params, "batch");
  const std::int64_t steps = param_int(params, "steps");
  const double lr = param_double(params, "lr");
  if (hidden < 1 || hidden > 256) throw Error("lesson 01 parameter hidden", "1..256", std::to_string(hidden));
  if (batch < 1 || batch > 256) throw Error("lesson 01 parameter batch", "1..256", std::to_string(batch));
  if (steps < 2 || steps > 500) throw Error("lesson 01 parameter steps", "2..500", std::to_string(steps));
  if (!(lr > 0 && lr <= 10)) throw Error("lesson 01 parameter lr", "0 < lr <= 10", num(lr));

  const nn::Split split = nn::train_test_split(nn::load_digits(), 0.2, seed);
  const nn::DataLoader loader(split.train, batch, /*shuffle=*/true, seed);
  const Mlp start = init_mlp(hidden, seed);
  nn::DataLoader small(split.train, 4, /*shuffle=*/true, seed);  // four images: a graph small enough to read
  const Feed four = feed_of(small.batch(small.epoch_order(0), 0));

  trace::ScopedRecorder attach(rec);
  three_layer_chain(rec, Chain{});
  define_by_run(rec, start, four);
  define_and_run(rec, start, four, hidden);
  train_both_ways(rec, start, loader, steps, hidden, lr);
  functional_style(rec, start, four);
  return rec.take();
}

}  // namespace

Lesson lesson_01_what_a_framework_does() {
  return {"01-what-a-framework-does",
          "What a framework does: differentiate, then train",
          "Part I, framework core",
          {{"seed", "0", "seed of the weights, the train/test split and the batch order"},
           {"hidden", "32", "width of the hidden layer (64 -> hidden -> 10)"},
           {"batch", "32", "images per training step"},
           {"steps", "60", "SGD steps trained both ways"},
           {"lr", "0.5", "SGD learning rate"}},
          lesson_text_01_what_a_framework_does,
          what_a_framework_does};
}

}  // namespace gb::lessons
