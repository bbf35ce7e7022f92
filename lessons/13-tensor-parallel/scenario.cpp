// 13-tensor-parallel: Megatron-LM's tensor parallelism run on the simulated cluster with the real math on
// every rank: the weights' shards, the MLP block and its f and g all-reduces on a timeline, attention split
// by heads, the vocabulary-parallel embedding and cross-entropy, and the cost at a realistic size. The
// scenario checks its numbers: every block against lib/autodiff on one device, the bytes each all-reduce
// sent against 2 (t - 1) / t x the activation, the parameters per rank against 1/t of the block.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"
#include "gb/parallel/tensor_parallel_record.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_13_tensor_parallel;

namespace {

namespace p = gb::parallel;
namespace ad = gb::autodiff;
using ad::Variable;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 13-tensor-parallel self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

struct Settings {
  int tp = 4;
  std::int64_t batch = 2, seq = 4, hidden = 8, heads = 4;
};

// max |a - b| relative to the largest |b|.
double relative_error(const Tensor& a, const Tensor& b) {
  double scale = 1e-3;
  for (double v : b.to_vector()) scale = std::max(scale, std::fabs(v));
  return max_abs_diff(a, b) / scale;
}

// --- 1. splitting a matrix multiply ----------------------------------------------------------------------
void splitting(Recorder& rec, const Settings& s, const p::MlpWeights& w) {
  rec.section("1. Splitting a matrix multiply");
  p::record_tp_shards(rec, "weight_a", "A [h, 4h]", w.a, p::TpSplit::column, s.tp);
  p::record_tp_shards(rec, "weight_b", "B [4h, h]", w.b, p::TpSplit::row, s.tp);
}

// --- 2. the MLP block and 3. f and g ----------------------------------------------------------------------------
void mlp(Recorder& rec, const Settings& s, const p::MlpWeights& w) {
  rec.section("2. The MLP block");
  const std::int64_t n = s.batch * s.seq, h = s.hidden, f = 4 * h;
  Rng rng(2);
  const Tensor x = rng.normal({n, h}), dz = rng.normal({n, h});
  Variable X(x.clone(), true), A(w.a.clone(), true), B(w.b.clone(), true);
  const Variable z = ad::add(ad::matmul(ad::gelu(ad::add(ad::matmul(X, A), ad::constant(w.a_bias))), B), ad::constant(w.b_bias));
  ad::backward(z, dz);
  p::TpMlp block(w, s.tp);
  const p::TpBlockRun run = p::run_tp_block(block, x, dz);
  const double error = std::max({relative_error(run.output, z.value()), relative_error(run.grad_input, X.grad().value()),
                                 relative_error(block.gradients().a, A.grad().value()), relative_error(block.gradients().b, B.grad().value())});
  check(error < 1e-5, "the MLP on " + std::to_string(s.tp) + " ranks equal to one device within 1e-5", sci(error));
  rec.step("On " + std::to_string(s.tp) + " ranks the MLP's output and gradients equal one device's within " + sci(error) + " (relative).", Level::op);
  // Why A is split by columns: GeLU of a sum is not the sum of GeLUs.
  const double a = 1.0, b = -0.5;
  const double gelu_sum = ad::gelu(Variable(Tensor::scalar(a + b))).value().item();
  const double sum_gelu = ad::gelu(Variable(Tensor::scalar(a))).value().item() + ad::gelu(Variable(Tensor::scalar(b))).value().item();
  rec.step("GeLU(1 - 0.5) = " + num(gelu_sum) + " but GeLU(1) + GeLU(-0.5) = " + num(sum_gelu) +
               ": a row split of A would need an all-reduce before the GeLU.",
           Level::op);

  rec.section("3. f and g");
  p::record_tp_timeline(rec, "mlp_timeline", "MLP forward and backward on " + std::to_string(s.tp) + " ranks (us)", run);
  check(run.collectives.size() == 2, "one all-reduce forward (g) and one backward (f)", std::to_string(run.collectives.size()));
  const std::int64_t activation = n * h * 4, ring = 2 * (s.tp - 1) * activation / s.tp;
  for (const p::TpCollective& c : run.collectives)
    for (std::int64_t sent : c.bytes_sent) check(sent == ring, "2 (t - 1) / t x " + std::to_string(activation) + " bytes per rank", std::to_string(sent));
  const std::int64_t expected = (2 * h * f + f) / s.tp * 4 + h * 4;
  check(run.parameter_bytes.front() == expected, std::to_string(expected) + " bytes of parameters per rank", std::to_string(run.parameter_bytes.front()));
  rec.step("Each rank holds " + std::to_string(run.parameter_bytes.front()) + " bytes of parameters (1/" + std::to_string(s.tp) +
               " of A, a and B, and all of b) and sent " + std::to_string(run.bytes_sent.front()) + " bytes in the two all-reduces.",
           Level::op);
}

// --- 4. attention by heads ------------------------------------------------------------------------------------
void attention(Recorder& rec, const Settings& s) {
  rec.section("4. Attention by heads");
  const std::int64_t n = s.batch * s.seq, h = s.hidden;
  Rng rng(3);
  auto m = [&] { return rng.normal({h, h}, 0, 0.3); };
  auto b = [&] { return rng.normal(Shape{h}, 0, 0.1); };
  const p::AttentionWeights w{m(), b(), m(), b(), m(), b(), m(), b()};
  const Tensor x = rng.normal({n, h}), dz = rng.normal({n, h});
  Variable X(x.clone(), true);
  auto project = [&](const Tensor& wm, const Tensor& wb) { return ad::add(ad::matmul(X, ad::constant(wm)), ad::constant(wb)); };
  const Variable z = ad::add(ad::matmul(p::causal_attention(project(w.q, w.q_bias), project(w.k, w.k_bias), project(w.v, w.v_bias), s.seq, s.heads),
                                        ad::constant(w.o)),
                             ad::constant(w.o_bias));
  ad::backward(z, dz);
  p::TpAttention block(w, s.heads, s.seq, s.tp);
  const p::TpBlockRun run = p::run_tp_block(block, x, dz);
  const double error = std::max(relative_error(run.output, z.value()), relative_error(run.grad_input, X.grad().value()));
  check(error < 1e-5, "attention on " + std::to_string(s.tp) + " ranks equal to one device within 1e-5", sci(error));
  p::record_tp_timeline(rec, "attention_timeline", "Attention (" + std::to_string(s.heads / s.tp) + " heads per rank) forward and backward (us)", run);
  rec.step("Each rank ran " + std::to_string(s.heads / s.tp) + " of the " + std::to_string(s.heads) + " heads; output and input gradient equal one device's within " +
               sci(error) + ".",
           Level::op);
}

// --- 5. the vocabulary -------------------------------------------------------------------------------------------
void vocabulary(Recorder& rec, const Settings& s) {
  rec.section("5. Vocabulary-parallel embedding and cross-entropy");
  p::TpModelSpec spec;
  spec.layers = 0;
  spec.vocab = 8 * s.tp;
  spec.hidden = s.hidden;
  spec.heads = s.heads;
  spec.batch = s.batch;
  spec.seq = s.seq;
  const p::TpModelWeights w = p::init_tp_model(spec, 5);
  Rng rng(6);
  std::vector<std::int64_t> ids, labels;
  for (std::int64_t i = 0; i < spec.batch * spec.seq; ++i) {
    ids.push_back(static_cast<std::int64_t>(rng.uniform(0, static_cast<double>(spec.vocab))));
    labels.push_back(static_cast<std::int64_t>(rng.uniform(0, static_cast<double>(spec.vocab))));
  }
  const Tensor id_tensor = Tensor::from_vector(ids, {spec.batch * spec.seq}), label_tensor = Tensor::from_vector(labels, {spec.batch * spec.seq});
  const p::TpTraining one = p::train_single_device(spec, w, id_tensor, label_tensor, 1, 0.1);
  const p::TpTraining tp = p::train_tensor_parallel(spec, w, id_tensor, label_tensor, s.tp, 1, 0.1);
  const double error = std::fabs(tp.losses[0] - one.losses[0]) / one.losses[0];
  check(error < 1e-5, "the vocabulary-parallel loss equal to one device's " + num(one.losses[0]), num(tp.losses[0]));
  rec.step("The loss over " + std::to_string(spec.vocab) + " words split on " + std::to_string(s.tp) + " ranks is " + num(tp.losses[0]) +
               ", one device's " + num(one.losses[0]) + ".",
           Level::op);
  // The three all-reduces of N values, against gathering the [N, V] logits on every rank (measured).
  std::int64_t sent = 0;
  for (const p::TpCollective& c : tp.collectives)
    if (c.phase == p::TaskKind::forward && c.buffer_bytes == spec.batch * spec.seq * 4) sent += c.bytes_sent.front();
  p::Simulator sim{p::Cluster{}};
  std::vector<int> group;
  for (int r = 0; r < s.tp; ++r) group.push_back(r);
  const p::Issued gather = p::timed_all_gather(sim, group, spec.batch * spec.seq * spec.vocab / s.tp * 4);
  rec.step("The softmax's three all-reduces sent " + std::to_string(sent) + " bytes per rank; gathering the logits would send " +
               std::to_string(gather.bytes_sent.front()) + ".",
           Level::op);
}

// --- 6. the cost -----------------------------------------------------------------------------------------------------
void cost(Recorder& rec) {
  rec.section("6. The cost: all-reduces per layer, and why TP stays inside a node");
  const std::int64_t batch = 8, seq = 128, hidden = 1024, tokens = batch * seq;
  rec.add_scene(trace::table_scene("cost", "One MLP block (b = 8, s = 128, h = 1024), forward and backward, measured",
                                   {"t", "links", "compute per rank (us)", "communication per rank (us)", "step (us)", "MiB sent per rank",
                                    "parameters per rank (MiB)"}));
  double compute_one = 0;
  for (int t : {1, 2, 4, 8}) {
    for (bool across : {false, true}) {
      if (across && t == 1) continue;
      p::ClusterSpec cluster;
      cluster.devices_per_node = across ? 1 : 8;  // across: every rank in its own node
      p::TpMlp block(hidden, 4 * hidden, t);
      const p::TpBlockRun run = p::time_tp_block(block, tokens, hidden, cluster);
      if (t == 1) compute_one = run.compute_seconds[0];
      check(std::fabs(run.compute_seconds[0] * t / compute_one - 1) < 0.01, "compute per rank 1/t of one device's", num(run.compute_seconds[0]));
      rec.step("t = " + std::to_string(t) + (across ? " across nodes" : " inside a node") + ": the step takes " + num(run.execution.makespan * 1e6) +
                   " us, " + num(run.communication_seconds[0] * 1e6) + " us of it communication.",
               Level::op)
          .add_row("cost", {std::to_string(t), across ? "inter-node" : "NVLink", num(run.compute_seconds[0] * 1e6), num(run.communication_seconds[0] * 1e6),
                            num(run.execution.makespan * 1e6), num(static_cast<double>(run.bytes_sent[0]) / (1 << 20)),
                            num(static_cast<double>(run.parameter_bytes[0]) / (1 << 20))});
    }
  }
}

trace::Recording tensor_parallel(const Params& params) {
  Recorder rec("13-tensor-parallel", "Tensor parallelism: Megatron's column and row splits");
  Settings s;
  const std::int64_t tp = param_int(params, "tp");
  s.batch = param_int(params, "batch");
  s.seq = param_int(params, "seq");
  s.hidden = param_int(params, "hidden");
  s.heads = param_int(params, "heads");
  if (tp < 1 || tp > 8) throw Error("lesson 13 parameter tp", "1..8", std::to_string(tp));
  s.tp = static_cast<int>(tp);
  if (s.batch < 1 || s.batch > 16) throw Error("lesson 13 parameter batch", "1..16", std::to_string(s.batch));
  if (s.seq < 1 || s.seq > 32) throw Error("lesson 13 parameter seq", "1..32", std::to_string(s.seq));
  if (s.heads < 1 || s.heads % s.tp != 0) throw Error("lesson 13 parameter heads", "a multiple of tp", std::to_string(s.heads));
  if (s.hidden < 1 || s.hidden > 64 || s.hidden % s.heads != 0) throw Error("lesson 13 parameter hidden", "1..64, a multiple of heads", std::to_string(s.hidden));

  Rng rng(1);
  const std::int64_t h = s.hidden, f = 4 * h;
  const p::MlpWeights w{rng.normal({h, f}, 0, 0.3), rng.normal(Shape{f}, 0, 0.1), rng.normal({f, h}, 0, 0.3), rng.normal(Shape{h}, 0, 0.1)};
  splitting(rec, s, w);
  mlp(rec, s, w);
  attention(rec, s);
  vocabulary(rec, s);
  cost(rec);
  return rec.take();
}

}  // namespace

Lesson lesson_13_tensor_parallel() {
  return {"13-tensor-parallel",
          "Tensor parallelism: Megatron's column and row splits",
          "Part II, distributed training (simulated)",
          {{"tp", "4", "t, the ranks of the tensor-parallel group (1..8)"},
           {"batch", "2", "sequences per batch (1..16)"},
           {"seq", "4", "tokens per sequence (1..32)"},
           {"hidden", "8", "h, the hidden size (a multiple of heads, up to 64); the MLP is h -> 4h -> h"},
           {"heads", "4", "attention heads (a multiple of tp)"}},
          lesson_text_13_tensor_parallel,
          tensor_parallel};
}

}  // namespace gb::lessons
