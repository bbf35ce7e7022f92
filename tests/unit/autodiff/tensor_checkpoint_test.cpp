// tensor_checkpoint_test.cpp: checkpointing gives the same gradients and keeps fewer saved tensors.
#include "tensor_gradcheck.hpp"

namespace ad = gb::autodiff;
using namespace gb_test;

namespace {

struct Mlp {
  std::vector<Variable> weights;
  Mlp(gb::Rng& rng, std::int64_t layers, std::int64_t width) {
    for (std::int64_t l = 0; l < layers; ++l) weights.emplace_back(gb::mul(normal64(rng, {width, width}), gb::Tensor::scalar(0.5, gb::DType::f64)), true);
  }
  Variable layer(std::size_t l, const Variable& h) const { return ad::tanh(ad::matmul(h, weights[l])); }
  Variable forward(const Variable& x, bool checkpointed) const {
    Variable h = x;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (checkpointed) {
        h = ad::checkpoint([this, l](const std::vector<Variable>& in) { return layer(l, in[0]); }, {h});
      } else {
        h = layer(l, h);
      }
    }
    return ad::mean(ad::mul(h, h));
  }
  void zero_grad() { for (auto& w : weights) w.zero_grad(); }
};

}  // namespace

TEST(TensorCheckpoint, SameGradientsLessSavedMemory) {
  gb::Rng rng(81);
  const std::int64_t layers = 6, width = 8, batch = 4;
  Mlp net(rng, layers, width);
  Variable x(normal64(rng, {batch, width}), true);

  Variable plain = net.forward(x, false);
  ad::GraphMemory plain_memory = ad::saved_memory(plain);
  plain.backward();
  std::vector<Tensor> expected;
  for (auto& w : net.weights) expected.push_back(w.grad().value());
  Tensor expected_x = x.grad().value();
  net.zero_grad();
  x.zero_grad();

  Variable checkpointed = net.forward(x, true);
  ad::GraphMemory checkpoint_memory = ad::saved_memory(checkpointed);
  EXPECT_EQ(checkpointed.value().item(), plain.value().item());
  checkpointed.backward();
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    EXPECT_TRUE(gb::allclose(net.weights[l].grad().value(), expected[l], 1e-12, 1e-14)) << "layer " << l;
  }
  EXPECT_TRUE(gb::allclose(x.grad().value(), expected_x, 1e-12, 1e-14));
  // Without checkpoints every layer saves its matmul operands and its tanh output; with them only the
  // input of each segment is kept.
  EXPECT_LT(checkpoint_memory.saved_bytes, plain_memory.saved_bytes);
  EXPECT_EQ(checkpoint_memory.saved_bytes, (layers + 1) * batch * width * 8);  // segment inputs + the last h
  EXPECT_GT(plain_memory.saved_bytes, layers * 2 * batch * width * 8);
}

TEST(TensorCheckpoint, RejectsCreateGraphAndBadInput) {
  Variable x(gb::Tensor::scalar(2.0, gb::DType::f64), true);
  Variable y = ad::checkpoint([](const std::vector<Variable>& in) { return ad::exp(in[0]); }, {x});
  EXPECT_GB_ERROR(ad::grad(y, {x}, gb::Tensor(), {true, true}), "create_graph");
  EXPECT_GB_ERROR(ad::checkpoint(ad::Segment(), {x}), "checkpoint");
  EXPECT_GB_ERROR(ad::checkpoint([](const std::vector<Variable>&) { return Variable(); }, {x}), "defined");
}
