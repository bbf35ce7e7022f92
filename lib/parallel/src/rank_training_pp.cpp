// rank_training_pp.cpp: pipeline parallelism (lesson 14) as a rank program: stage r = rank r runs its
// own column of the schedule and meets its neighbours only through the Communicator (rank_training.hpp).
//
// The global view (pipeline_training.cpp) holds every stage and lets the simulator's task order decide
// who runs when; here every rank only knows its own list of operations, e.g. on stage 1 of 4 with 1F1B
//   F0 F1 B0 F2 B1 F3 B2 B3
// and a recv is what makes an F wait for the activation of stage r - 1 (and a B for the gradient of
// stage r + 1). The same micro-batches run through the same piece in the same order, so each stage's
// gradients add up in the same order as in the global view and the weights agree bit for bit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/pipeline_training.hpp"
#include "gb/parallel/rank_training.hpp"

namespace gb::parallel {

using autodiff::Variable;

namespace {

const char* const kOp = "pp_rank_train";

// Layer l of mlp_stack: Linear j at l = 2j (in: widths[j]), its ReLU at l = 2j + 1 (in: widths[j + 1]).
// So the width entering layer l is widths[(l + 1) / 2]; a stage's input is the width entering its
// first layer, which is what it must be ready to receive.
std::int64_t width_into_layer(const std::vector<std::int64_t>& widths, int layer) {
  return widths[static_cast<std::size_t>((layer + 1) / 2)];
}

void check_inputs(const PipelineRankConfig& config, int stages, const Tensor& inputs, const Tensor& targets) {
  if (config.schedule != Schedule::gpipe && config.schedule != Schedule::one_f_one_b) {
    throw Error(kOp, "the gpipe or 1f1b schedule (one model chunk per stage)", schedule_name(config.schedule));
  }
  if (config.steps < 1) throw Error(kOp, "steps >= 1", std::to_string(config.steps));
  if (config.microbatches < 1) throw Error(kOp, "microbatches >= 1", std::to_string(config.microbatches));
  if (config.widths.size() < 2) throw Error(kOp, "at least 2 widths (input and output)", std::to_string(config.widths.size()));
  const int layers = 2 * static_cast<int>(config.widths.size() - 1) - 1;  // Linears and the ReLUs between them
  if (stages > layers) {
    throw Error(kOp, "at most " + std::to_string(layers) + " stages (one layer at least each)", std::to_string(stages) + " ranks");
  }
  if (inputs.ndim() != 2 || targets.ndim() != 2) {
    throw Error(kOp, "inputs [N, in] and targets [N, out]", std::to_string(inputs.ndim()) + "-d inputs and " + std::to_string(targets.ndim()) + "-d targets");
  }
  if (inputs.shape()[0] != targets.shape()[0]) {
    throw Error(kOp, "inputs and targets with the same number of rows",
                std::to_string(inputs.shape()[0]) + " and " + std::to_string(targets.shape()[0]));
  }
  if (inputs.shape()[1] != config.widths.front() || targets.shape()[1] != config.widths.back()) {
    throw Error(kOp, "inputs [N, " + std::to_string(config.widths.front()) + "] and targets [N, " + std::to_string(config.widths.back()) + "]",
                "[N, " + std::to_string(inputs.shape()[1]) + "] and [N, " + std::to_string(targets.shape()[1]) + "]");
  }
  if (inputs.dtype() != DType::f32 || targets.dtype() != DType::f32) {
    throw Error(kOp, "f32 inputs and targets (the model's dtype)", "another dtype");
  }
  if (inputs.shape()[0] < config.microbatches) {
    throw Error(kOp, "at least one row per micro-batch (N >= m)",
                "N = " + std::to_string(inputs.shape()[0]) + ", m = " + std::to_string(config.microbatches));
  }
}

}  // namespace

RankRun pp_rank_train(Communicator& world, const PipelineRankConfig& config, const Tensor& inputs, const Tensor& targets) {
  const int p = world.size(), r = world.rank(), m = config.microbatches;
  // Every rank checks the same arguments, so a bad call fails on all of them before any message moves.
  check_inputs(config, p, inputs, targets);
  const bool first_stage = r == 0, last_stage = r == p - 1;

  // Every rank builds the whole model from the same seed and keeps only piece r. A real run would build
  // only its piece; with the same Rng(seed) drawn in the same order the numbers are the same, and here
  // the other pieces are simply dropped (they are never touched again).
  const auto model = mlp_stack(config.widths, config.seed);
  const int layers = static_cast<int>(model->size());
  const std::shared_ptr<nn::Sequential> piece = split_into_pieces(*model, p)[static_cast<std::size_t>(r)];
  const std::int64_t in_width = width_into_layer(config.widths, r * layers / p);
  const std::int64_t out_width = width_into_layer(config.widths, (r + 1) * layers / p);  // widths.back() on the last stage
  // Plain SGD on this piece's parameters only: the update is element by element, so stepping each piece
  // on its own rank is the same arithmetic as one optimizer over the whole model. A stage that is only a
  // ReLU (p close to the number of layers) has nothing to update.
  std::unique_ptr<nn::SGD> optimizer;
  if (!piece->parameters().empty()) optimizer = std::make_unique<nn::SGD>(piece->parameters(), nn::SGDOptions{config.lr, 0, 0, false, 0});

  // Micro-batch i is rows [first[i], first[i + 1]): N / m rows, the first N mod m one more (as in the
  // global view, so every stage agrees on the message sizes without telling each other).
  const std::int64_t n = inputs.shape()[0];
  std::vector<std::int64_t> first = {0};
  for (int i = 0; i < m; ++i) first.push_back(first.back() + n / m + (i < n % m ? 1 : 0));
  auto rows_of = [&](int i) { return first[static_cast<std::size_t>(i) + 1] - first[static_cast<std::size_t>(i)]; };
  auto slice = [&](const Tensor& t, int i) { return t.slice(0, first[static_cast<std::size_t>(i)], first[static_cast<std::size_t>(i) + 1]).contiguous(); };

  const std::vector<Operation> order =
      config.schedule == Schedule::gpipe ? gpipe_order(r, p, m) : one_f_one_b_order(r, p, m);

  RankRun run;
  for (int step = 0; step < config.steps; ++step) {
    piece->zero_grad();
    // What the backward needs, per micro-batch, between its F and its B: the input leaf (its grad()
    // is the message back) and the output (the graph hangs off it). GPipe keeps all m at once, 1F1B at
    // most min(p - r, m): the memory difference of lesson 14, here as live Variables.
    std::vector<Variable> input(static_cast<std::size_t>(m)), output(static_cast<std::size_t>(m));
    std::vector<double> loss(static_cast<std::size_t>(m), 0.0);  // n_i / N x loss_i (last stage)

    // Send never blocks (the bytes are copied out, like MPI_Bsend), so in 1F1B's steady state, where
    // stage r sends F(i + 1)'s activation forward while stage r + 1 sends B(i)'s gradient back, both
    // sends return and each stage goes on to its recv: no deadlock. With a blocking (rendezvous) send
    // the two neighbours would wait for each other; real pipelines post the pair together (Megatron's
    // send_forward_recv_backward, a batch of isend/irecv).
    for (const Operation& op : order) {
      const int i = op.microbatch;
      const auto ii = static_cast<std::size_t>(i);
      if (op.phase == Phase::forward) {
        if (first_stage) {
          input[ii] = Variable(slice(inputs, i));
        } else {
          Tensor activation = Tensor::zeros({rows_of(i), in_width});
          world.recv(activation, r - 1);
          // The received activation is a leaf of this stage's graph: its grad() is what goes back.
          input[ii] = Variable(activation, /*requires_grad=*/true);
        }
        Variable out = (*piece)(input[ii]);
        if (last_stage) {
          // Weighted by the micro-batch's share n_i / N, so the m gradients add up to the batch's.
          const double share = static_cast<double>(rows_of(i)) / static_cast<double>(n);
          out = autodiff::mul(nn::mse_loss(out, Variable(slice(targets, i))), autodiff::scalar_like(out, share));
          loss[ii] = out.value().to_vector()[0];
        } else {
          world.send(out.value().contiguous(), r + 1);
        }
        output[ii] = out;
        continue;
      }
      if (last_stage) {
        autodiff::backward(output[ii]);
      } else {
        Tensor gradient = Tensor::zeros({rows_of(i), out_width});
        world.recv(gradient, r + 1);
        autodiff::backward(output[ii], gradient);
      }
      if (!first_stage) world.send(input[ii].grad().value().contiguous(), r - 1);
      input[ii] = Variable();  // the micro-batch's activations are freed here
      output[ii] = Variable();
    }
    if (optimizer) optimizer->step();  // the flush: every micro-batch's gradient is in

    // The loss is known on the last stage only. Summed in micro-batch order (as the global view does),
    // then broadcast from rank p - 1 so that every rank reports the same number.
    double total = 0;
    for (double l : loss) total += l;
    Tensor shared = Tensor::full({1}, total, DType::f64);
    world.broadcast(shared, p - 1);
    run.losses.push_back(shared.item());
  }

  for (const auto& [name, value] : piece->state_dict()) run.parameters["stage" + std::to_string(r) + "." + name] = value.clone();
  run.stats = world.stats();
  return run;
}

}  // namespace gb::parallel
