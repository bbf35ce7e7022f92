// Task passes.fusion.bn_fold (lesson 17): W' = a W, b' = a (b - mean) + beta with a = gamma / sqrt(var + eps)
// (lib/passes/src/fusion_passes.cpp, fold_batch_norm). Oracle: PyTorch's own
// torch.nn.utils.fusion.fuse_conv_bn_weights, run by /usr/bin/python3 on .npy files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gb/convert/onnx_ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/npy.hpp"
#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/passes.hpp"

namespace {

namespace fs = std::filesystem;
using gb::Tensor;

Tensor uniform(gb::Rng& rng, const gb::Shape& shape, double lo, double hi) {
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (double& x : v) x = rng.uniform(lo, hi);
  return Tensor::from_values(v, shape);
}

double max_relative(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]) / std::max(1e-6, std::fabs(y[i])));
  return worst;
}

TEST(Task_17_2_BnFold, EqualsPyTorchsFuseConvBnWeights) {
  const fs::path dir = fs::temp_directory_path() / ("gb_bn_fold_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  gb::Rng rng(17);
  const Tensor w = uniform(rng, {6, 3, 3, 3}, -1, 1), b = uniform(rng, {6}, -0.5, 0.5);
  const Tensor gamma = uniform(rng, {6}, 0.5, 1.5), beta = uniform(rng, {6}, -0.3, 0.3);
  const Tensor mean = uniform(rng, {6}, -0.5, 0.5), var = uniform(rng, {6}, 0.01, 3.0);
  const double eps = 1e-3;
  for (const auto& [name, t] : std::vector<std::pair<std::string, Tensor>>{
           {"w", w}, {"b", b}, {"gamma", gamma}, {"beta", beta}, {"mean", mean}, {"var", var}}) {
    gb::save_npy(t, (dir / (name + ".npy")).string());
  }
  std::ofstream(dir / "fuse.py") << "import numpy as np, torch\n"
                                    "from torch.nn.utils.fusion import fuse_conv_bn_weights\n"
                                    "d='" << dir.string() << "/'\n"
                                    "t=lambda n: torch.from_numpy(np.load(d+n+'.npy'))\n"
                                    "for bias, tag in ((t('b'), ''), (None, '_nobias')):\n"
                                    "    w2, b2 = fuse_conv_bn_weights(t('w'), bias, t('mean'), t('var'), 1e-3, t('gamma'), t('beta'))\n"
                                    "    np.save(d+'w2'+tag+'.npy', w2.detach().numpy()); np.save(d+'b2'+tag+'.npy', b2.detach().numpy())\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir / "fuse.py").string()).c_str()), 0);
  const auto [w2, b2] = gb::passes::fold_batch_norm(w, b, gamma, beta, mean, var, eps);
  EXPECT_LT(max_relative(w2, gb::load_npy((dir / "w2.npy").string())), 1e-6);
  EXPECT_LT(max_relative(b2, gb::load_npy((dir / "b2.npy").string())), 1e-6);
  const auto [w3, b3] = gb::passes::fold_batch_norm(w, Tensor(), gamma, beta, mean, var, eps);
  EXPECT_LT(max_relative(w3, gb::load_npy((dir / "w2_nobias.npy").string())), 1e-6);
  EXPECT_LT(max_relative(b3, gb::load_npy((dir / "b2_nobias.npy").string())), 1e-6);
  fs::remove_all(dir);
}

TEST(Task_17_2_BnFold, TheFoldedConvolutionComputesConvThenBatchNorm) {
  gb::convert::register_onnx_ops();
  gb::Rng rng(3);
  gb::graph::Graph g;
  const auto x = g.placeholder("x", {gb::DType::f32, {2, 3, 5, 5}});
  gb::graph::Attributes conv{{"kernel_shape", std::vector<std::int64_t>{3, 3}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
  auto c = g.add("Conv", {x, g.constant(uniform(rng, {4, 3, 3, 3}, -1, 1)), g.constant(uniform(rng, {4}, -1, 1))}, conv);
  auto y = g.add("BatchNormalization", {c, g.constant(uniform(rng, {4}, 0.5, 2)), g.constant(uniform(rng, {4}, -1, 1)),
                                        g.constant(uniform(rng, {4}, -1, 1)), g.constant(uniform(rng, {4}, 0.2, 2))},
                 {{"epsilon", 1e-5}});
  g.set_outputs({y});
  std::vector<gb::passes::Rewrite> log;
  const gb::graph::Graph folded = gb::passes::conv_bn_folding().run(g, log);
  ASSERT_EQ(log.size(), 1u);
  const gb::graph::Feeds feeds{{"x", uniform(rng, {2, 3, 5, 5}, -1, 1)}};
  const Tensor want = gb::graph::run(g, feeds)[0], got = gb::graph::run(folded, feeds)[0];
  const std::vector<double> a = got.to_vector(), e = want.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], 1e-5 + 1e-5 * std::fabs(e[i])) << i;
}

TEST(Task_17_2_BnFold, MismatchedChannelsAreErrors) {
  const Tensor w = Tensor::ones({4, 2, 1, 1}), four = Tensor::ones({4}), three = Tensor::ones({3});
  // First a fold that must work: gamma = var = 1, mean = 0, eps = 0 give a = 1, W' = W, b' = b + beta = 2.
  const auto [w2, b2] = gb::passes::fold_batch_norm(w, four, four, four, Tensor::zeros({4}), four, 0.0);
  EXPECT_EQ(w2.to_vector(), w.to_vector());
  EXPECT_EQ(b2.to_vector(), (std::vector<double>{2, 2, 2, 2}));
  EXPECT_THROW(gb::passes::fold_batch_norm(w, four, three, four, four, four, 1e-5), gb::Error);
  EXPECT_THROW(gb::passes::fold_batch_norm(w, three, four, four, four, four, 1e-5), gb::Error);
  EXPECT_THROW(gb::passes::fold_batch_norm(w, four, four, four, four, Tensor::full({4}, -1), 1e-5), gb::Error);
}

}  // namespace
