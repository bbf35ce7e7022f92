// pipeline_training.cpp: the real forwards and backwards of a pipeline schedule, run by the simulator's
// task actions in the simulated order (lesson 14; see pipeline_training.hpp).
#include "gb/parallel/pipeline_training.hpp"

#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"

namespace gb::parallel {

using autodiff::Variable;

std::shared_ptr<nn::Sequential> mlp_stack(const std::vector<std::int64_t>& widths, std::uint64_t seed) {
  if (widths.size() < 2) throw Error("mlp_stack", "at least 2 widths (input and output)", std::to_string(widths.size()));
  for (std::int64_t w : widths) {
    if (w < 1) throw Error("mlp_stack", "widths >= 1", std::to_string(w));
  }
  Rng rng(seed);
  auto model = std::make_shared<nn::Sequential>();
  for (std::size_t j = 0; j + 1 < widths.size(); ++j) {
    model->add(std::make_shared<nn::Linear>(widths[j], widths[j + 1], rng));
    if (j + 2 < widths.size()) model->add(std::make_shared<nn::ReLU>());
  }
  return model;
}

std::vector<std::shared_ptr<nn::Sequential>> split_into_pieces(const nn::Sequential& model, int pieces) {
  const int layers = static_cast<int>(model.size());
  if (pieces < 1 || pieces > layers) {
    throw Error("split_into_pieces", "1 to " + std::to_string(layers) + " pieces (one layer at least each)", std::to_string(pieces));
  }
  std::vector<std::shared_ptr<nn::Sequential>> out;
  for (int k = 0; k < pieces; ++k) {
    auto piece = std::make_shared<nn::Sequential>();
    for (int l = k * layers / pieces; l < (k + 1) * layers / pieces; ++l) piece->add(model.at(static_cast<std::size_t>(l)));
    out.push_back(piece);
  }
  return out;
}

namespace {

// What lives on the devices between operations, by [piece][micro-batch]. A real run keeps each entry
// on the piece's device; here they are simply tensors, moved only by the send actions.
struct PipelineState {
  std::vector<std::vector<Variable>> input, output;        // the piece's input leaf; its output (or scaled loss)
  std::vector<std::vector<Tensor>> activation_in, gradient_in;  // what the messages delivered
  std::vector<std::vector<Tensor>> activation_out, gradient_out;  // what the messages will carry
  std::vector<double> loss;                                 // n_i / N x loss_i, per micro-batch
};

template <class T> std::vector<std::vector<T>> grid(int pieces, int microbatches) {
  return std::vector<std::vector<T>>(static_cast<std::size_t>(pieces), std::vector<T>(static_cast<std::size_t>(microbatches)));
}

}  // namespace

PipelineStepResult pipeline_forward_backward(const std::vector<std::shared_ptr<nn::Sequential>>& pieces, const Tensor& inputs,
                                             const Tensor& targets, const PipelineSpec& spec) {
  const std::string op = "pipeline_forward_backward";
  const int count = spec.stages * spec.chunks, m = spec.microbatches;
  if (static_cast<int>(pieces.size()) != count) {
    throw Error(op, std::to_string(count) + " pieces (stages x chunks)", std::to_string(pieces.size()));
  }
  for (const auto& piece : pieces) {
    if (!piece) throw Error(op, "pieces that exist", "a null piece");
  }
  if (inputs.ndim() != 2 || targets.ndim() != 2 || inputs.shape()[0] != targets.shape()[0]) {
    throw Error(op, "inputs [N, in] and targets [N, out] with the same N",
                std::to_string(inputs.ndim()) + "-d inputs and " + std::to_string(targets.ndim()) + "-d targets");
  }
  const std::int64_t n = inputs.shape()[0];
  if (m < 1 || n < m) throw Error(op, "at least one row per micro-batch (N >= m >= 1)", "N = " + std::to_string(n) + ", m = " + std::to_string(m));

  // Micro-batch i is rows [first[i], first[i + 1]): N / m rows, the first N mod m one more.
  std::vector<std::int64_t> first = {0};
  for (int i = 0; i < m; ++i) first.push_back(first.back() + n / m + (i < n % m ? 1 : 0));
  auto rows = [&](const Tensor& t, int i) { return t.slice(0, first[static_cast<std::size_t>(i)], first[static_cast<std::size_t>(i) + 1]).contiguous(); };

  PipelineState st{grid<Variable>(count, m), grid<Variable>(count, m), grid<Tensor>(count, m), grid<Tensor>(count, m),
                   grid<Tensor>(count, m),   grid<Tensor>(count, m),   std::vector<double>(static_cast<std::size_t>(m), 0.0)};
  const int last = count - 1;

  // The piece's forward (and, on the last piece, its share of the loss). Called in the forward, and
  // again in the backward when the forward kept only its input (recomputation).
  auto forward = [&](int k, int i) {
    Variable out = (*pieces[static_cast<std::size_t>(k)])(st.input[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)]);
    if (k == last) {
      const double share = static_cast<double>(first[static_cast<std::size_t>(i) + 1] - first[static_cast<std::size_t>(i)]) / static_cast<double>(n);
      out = autodiff::mul(nn::mse_loss(out, Variable(rows(targets, i))), autodiff::scalar_like(out, share));
    }
    return out;
  };

  PipelineWork work;
  work.compute = [&](int k, Phase phase, int i) {
    const auto ki = static_cast<std::size_t>(k), ii = static_cast<std::size_t>(i);
    if (phase == Phase::forward) {
      // A received activation becomes a leaf of this piece's graph; its grad() is what goes back.
      st.input[ki][ii] = k == 0 ? Variable(rows(inputs, i)) : Variable(st.activation_in[ki][ii], /*requires_grad=*/true);
      Variable out;
      if (spec.recompute) {
        autodiff::NoGradGuard keep_only_the_input;
        out = forward(k, i);
      } else {
        out = forward(k, i);
        st.output[ki][ii] = out;
      }
      if (k == last) st.loss[ii] = out.value().to_vector()[0];
      else st.activation_out[ki][ii] = out.value();
      return;
    }
    Variable out = st.output[ki][ii];
    if (spec.recompute) out = forward(k, i);  // the activations again, this time with a graph
    if (k == last) autodiff::backward(out);
    else autodiff::backward(out, st.gradient_in[ki][ii]);
    if (k > 0) st.gradient_out[ki][ii] = st.input[ki][ii].grad().value();
    st.output[ki][ii] = Variable();  // the micro-batch's activations are freed here
    st.input[ki][ii] = Variable();
  };
  // A message copies the tensor: the receiver owns its own memory.
  work.send = [&](int from, int to, Phase phase, int i) {
    const auto f = static_cast<std::size_t>(from), t = static_cast<std::size_t>(to), ii = static_cast<std::size_t>(i);
    if (phase == Phase::forward) st.activation_in[t][ii] = st.activation_out[f][ii].clone();
    else st.gradient_in[t][ii] = st.gradient_out[f][ii].clone();
  };

  PipelineStepResult result;
  result.run = run_pipeline(spec, work);
  for (double l : st.loss) result.loss += l;
  return result;
}

PipelineStepResult pipeline_train_step(const std::vector<std::shared_ptr<nn::Sequential>>& pieces, nn::Optimizer& optimizer,
                                       const Tensor& inputs, const Tensor& targets, const PipelineSpec& spec) {
  optimizer.zero_grad();
  PipelineStepResult result = pipeline_forward_backward(pieces, inputs, targets, spec);
  optimizer.step();  // the flush: every micro-batch's gradient is in, all stages update together
  return result;
}

}  // namespace gb::parallel
