// tensor_parallel_layers.cpp: the f -> local -> g -> bias skeleton of every Megatron block, and the MLP
// block on it (lesson 13; see tensor_parallel_layers.hpp).
#include "gb/parallel/tensor_parallel_layers.hpp"

#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

namespace {

void require_2d(const Tensor& t, const std::string& op, const std::string& what) {
  if (!t.defined() || t.ndim() != 2) throw Error(op, what + " 2-d", t.defined() ? shape_str(t.shape()) : "undefined");
}

}  // namespace

// ---- the skeleton: f, the rank's local graph, g, the bias ----------------------------------------
TpActivation TpBlock::forward(TpGroup& group, const TpActivation& x) {
  if (group.size() != t_) throw Error(name_ + " forward", "a group of " + std::to_string(t_) + " ranks", std::to_string(group.size()));
  if (x.shape.size() != 2) throw Error(name_ + " forward", "x [tokens, hidden]", shape_str(x.shape));
  if (group.values() != values_) throw Error(name_ + " forward", "a group and a block both with values or both timing only", "a mix");
  const std::int64_t tokens = x.shape[0], hidden = x.shape[1];
  state_.assign(static_cast<std::size_t>(t_), RankState{});
  TpActivation partial = group.activation(x.shape), z = group.activation(x.shape);
  for (int r = 0; r < t_; ++r) {
    group.hold(r, MemoryKind::parameters, parameter_bytes(r));
    // f, forward: the identity. The rank's graph starts at a leaf holding its copy of x, whose
    // gradient will be its share of dX.
    group.compute(r, name_ + " forward", TaskKind::forward, local_flops(tokens), [this, r, x, partial]() mutable {
      RankState& s = state_[static_cast<std::size_t>(r)];
      s.input = Variable(x.copies[static_cast<std::size_t>(r)].clone(), /*requires_grad=*/true);
      s.partial = local(r, s.input);
      partial.copies[static_cast<std::size_t>(r)].copy_from(s.partial.value());
    });
  }
  // g, forward: the partial sums of the row-parallel layer added up on every rank.
  group.all_reduce("g: all-reduce " + name_ + " output", TaskKind::forward, partial.copies, x.shape);
  for (int r = 0; r < t_; ++r) {
    // The bias after the sum, so it is added once (added before, it would be added t times).
    group.compute(r, name_ + " bias", TaskKind::forward, static_cast<double>(tokens * hidden), [this, r, partial, z]() mutable {
      RankState& s = state_[static_cast<std::size_t>(r)];
      s.summed = Variable(partial.copies[static_cast<std::size_t>(r)].clone(), /*requires_grad=*/true);
      s.output = autodiff::add(s.summed, output_bias_[static_cast<std::size_t>(r)]);
      z.copies[static_cast<std::size_t>(r)].copy_from(s.output.value());
    });
  }
  return z;
}

TpActivation TpBlock::backward(TpGroup& group, const TpActivation& dz) {
  if (group.size() != t_ || dz.shape.size() != 2) throw Error(name_ + " backward", "dZ [tokens, hidden] on the forward's group", shape_str(dz.shape));
  const std::int64_t tokens = dz.shape[0], hidden = dz.shape[1];
  TpActivation dx = group.activation(dz.shape);
  for (int r = 0; r < t_; ++r) {
    // Backward costs about twice the forward: dX = dY W^T and dW = X^T dY for every product.
    group.compute(r, name_ + " backward", TaskKind::backward, 2 * local_flops(tokens) + static_cast<double>(tokens * hidden),
                  [this, r, dz, dx]() mutable {
                    RankState& s = state_[static_cast<std::size_t>(r)];
                    autodiff::backward(s.output, dz.copies[static_cast<std::size_t>(r)]);  // the bias's gradient
                    // g, backward: the identity. The sum's gradient is dZ itself, on every rank.
                    autodiff::backward(s.partial, s.summed.grad().value());
                    dx.copies[static_cast<std::size_t>(r)].copy_from(s.input.grad().value());
                    s = RankState{};  // the activations are freed
                  });
  }
  // f, backward: each rank's dX_r holds only what flowed through its shards; the sum is dX.
  group.all_reduce("f: all-reduce " + name_ + " input gradient", TaskKind::backward, dx.copies, dz.shape);
  return dx;
}

std::vector<Variable> TpBlock::parameters(int rank) const {
  if (!values_) throw Error(name_ + " parameters", "a block with values", "a timing-only block");
  std::vector<Variable> p = shards_.at(static_cast<std::size_t>(rank));
  p.push_back(output_bias_.at(static_cast<std::size_t>(rank)));
  return p;
}

std::int64_t TpBlock::parameter_bytes(int /*rank*/) const {
  std::int64_t n = 0;
  for (const Shape& s : shard_shapes_) n += shape_numel(s);
  return n * 4;
}

// ---- the MLP ---------------------------------------------------------------------------------------
TpMlp::TpMlp(std::int64_t hidden, std::int64_t ffn, int t, std::string name) : TpBlock(std::move(name), t), hidden_(hidden), ffn_(ffn) {
  if (t < 1 || hidden < 1 || ffn < 1 || ffn % t != 0) {
    throw Error("TpMlp", "t >= 1 dividing the MLP's inner width", "t = " + std::to_string(t) + ", width " + std::to_string(ffn));
  }
  values_ = false;
  shard_shapes_ = {{hidden, ffn / t}, {ffn / t}, {ffn / t, hidden}, {hidden}};
}

TpMlp::TpMlp(const MlpWeights& w, int t, std::string name) : TpMlp(w.a.defined() ? w.a.shape().at(0) : 0, w.a.defined() && w.a.ndim() == 2 ? w.a.shape()[1] : 0, t, std::move(name)) {
  require_2d(w.a, "TpMlp", "A");
  require_2d(w.b, "TpMlp", "B");
  if (w.b.shape() != Shape{ffn_, hidden_} || !w.a_bias.defined() || w.a_bias.shape() != Shape{ffn_} || !w.b_bias.defined() ||
      w.b_bias.shape() != Shape{hidden_}) {
    throw Error("TpMlp", "A [h, f], a [f], B [f, h], b [h]", "A " + shape_str(w.a.shape()) + ", B " + shape_str(w.b.shape()));
  }
  values_ = true;
  for (int r = 0; r < t; ++r) {
    // A by columns (with its bias), B by rows: rank r's slice of the hidden layer feeds its rows of B.
    shards_.push_back({Variable(tp_shard(w.a, TpSplit::column, t, r), true), Variable(tp_shard_bias(w.a_bias, t, r), true),
                       Variable(tp_shard(w.b, TpSplit::row, t, r), true)});
    output_bias_.emplace_back(w.b_bias.clone(), true);
  }
}

Variable TpMlp::local(int rank, const Variable& x) {
  const auto& w = shards_[static_cast<std::size_t>(rank)];
  // Column-parallel: rank r's columns of X A, then GeLU on them (elementwise: no other rank needed).
  const Variable h = autodiff::gelu(autodiff::add(autodiff::matmul(x, w[0]), w[1]));
  // Row-parallel: its partial sum H_r B_r.
  return autodiff::matmul(h, w[2]);
}

double TpMlp::local_flops(std::int64_t tokens) const {
  return 2.0 * 2.0 * static_cast<double>(tokens) * static_cast<double>(hidden_) * static_cast<double>(ffn_ / ranks());
}

MlpWeights TpMlp::gradients() const {
  if (!values_) throw Error("TpMlp::gradients", "a block with values", "a timing-only block");
  return {tp_unshard(tp_detail::gathered(shards_, 0, true), TpSplit::column), tp_unshard(tp_detail::gathered(shards_, 1, true), TpSplit::column),
          tp_unshard(tp_detail::gathered(shards_, 2, true), TpSplit::row), output_bias_.front().grad().value()};
}

MlpWeights TpMlp::weights() const {
  if (!values_) throw Error("TpMlp::weights", "a block with values", "a timing-only block");
  return {tp_unshard(tp_detail::gathered(shards_, 0, false), TpSplit::column), tp_unshard(tp_detail::gathered(shards_, 1, false), TpSplit::column),
          tp_unshard(tp_detail::gathered(shards_, 2, false), TpSplit::row), output_bias_.front().value()};
}

}  // namespace gb::parallel
