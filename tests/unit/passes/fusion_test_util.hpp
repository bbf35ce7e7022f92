// fusion_test_util.hpp: what the fusion, fused-op and layout tests share: random tensors, running a
// graph, counting the live ops, comparing outputs, and PyTorch as the oracle (/usr/bin/python3).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "gb/convert/onnx_ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/core/shape.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/fused_ops.hpp"
#include "gb/passes/pass_manager.hpp"

namespace gb_fusion_test {

using gb::DType;
using gb::Shape;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::ValueId;
using Ints = std::vector<std::int64_t>;

inline void register_ops() {
  gb::convert::register_onnx_ops();
  gb::passes::register_fused_ops();
}

inline Tensor random(const Shape& shape, std::uint64_t seed, double low = -1.0, double high = 1.0) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (double& e : v) e = rng.uniform(low, high);
  return Tensor::from_values(v, shape);
}

// How many nodes of each op the outputs depend on (placeholders and constants left out): dead nodes a
// rule leaves for dead-code elimination do not count.
inline std::map<std::string, int> live_ops(const Graph& g) {
  std::map<std::string, int> count;
  for (gb::graph::NodeId id : g.topological_order(true)) {
    const std::string& op = g.node(id).op;
    if (op != "placeholder" && op != "constant") ++count[op];
  }
  return count;
}

// The live nodes of one op.
inline std::vector<const gb::graph::Node*> live_nodes(const Graph& g, const std::string& op) {
  std::vector<const gb::graph::Node*> out;
  for (gb::graph::NodeId id : g.topological_order(true)) {
    if (g.node(id).op == op) out.push_back(&g.node(id));
  }
  return out;
}

// The constant tensor behind value v of g (fails the test when it is not a constant).
inline Tensor constant_of(const Graph& g, ValueId v) {
  const gb::graph::Node& p = g.node(g.value(v).producer);
  EXPECT_EQ(p.op, "constant");
  return p.op == "constant" ? p.attr_tensor("value") : Tensor();
}

inline std::vector<Tensor> run_graph(const Graph& g, const gb::graph::Feeds& feeds) { return gb::graph::run(g, feeds); }

// Equal within `rel` relative to max(1, |want|) element by element (a reordered sum of products).
inline void expect_close(const Tensor& got, const Tensor& want, double rel = 1e-5) {
  ASSERT_TRUE(got.defined());
  ASSERT_TRUE(want.defined());
  ASSERT_EQ(got.shape(), want.shape());
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  int reported = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double tol = rel * std::max(1.0, std::fabs(w[i]));
    if (std::fabs(g[i] - w[i]) > tol && reported++ < 5) ADD_FAILURE() << "at " << i << ": " << g[i] << " vs " << w[i];
  }
}

// Runs `code` in PyTorch: the inputs are t[0], t[1], ... (f32 tensors of the given shapes); the code
// sets y. Returns y as an f32 Tensor (undefined, and a test failure, when Python fails).
inline Tensor torch_eval(const std::string& code, const std::vector<Tensor>& inputs) {
  static int counter = 0;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("gb_passes_torch_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  std::ostringstream script;
  script << "import sys, numpy as np, torch\nimport torch.nn.functional as F\nd = sys.argv[1]\nshapes = [";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor x = inputs[i].contiguous();
    std::ofstream(dir / ("in" + std::to_string(i) + ".bin"), std::ios::binary)
        .write(reinterpret_cast<const char*>(x.data<float>()), static_cast<std::streamsize>(x.numel() * 4));
    script << "(";
    for (std::int64_t s : x.shape()) script << s << ",";
    script << "),";
  }
  script << "]\nt = [torch.from_numpy(np.fromfile(f'{d}/in{i}.bin', dtype=np.float32).reshape(s)) "
            "for i, s in enumerate(shapes)]\n"
         << code
         << "\ny = y.detach().contiguous()\n"
            "y.numpy().astype(np.float32).tofile(f'{d}/out.bin')\n"
            "open(f'{d}/shape.txt', 'w').write(' '.join(str(s) for s in y.shape))\n";
  std::ofstream(dir / "script.py") << script.str();
  const std::string command = "/usr/bin/python3 " + (dir / "script.py").string() + " " + dir.string();
  const int status = std::system(command.c_str());
  Tensor y;
  if (status != 0) {
    ADD_FAILURE() << "PyTorch failed (" << status << "): " << command;
  } else {
    Shape shape;
    std::ifstream shape_file(dir / "shape.txt");
    for (std::int64_t s; shape_file >> s;) shape.push_back(s);
    y = Tensor::zeros(shape, DType::f32);
    std::ifstream(dir / "out.bin", std::ios::binary)
        .read(reinterpret_cast<char*>(y.data<float>()), static_cast<std::streamsize>(y.numel() * 4));
  }
  std::filesystem::remove_all(dir);
  return y;
}

// The rules that fired, in order.
inline std::vector<std::string> rules(const std::vector<gb::passes::Rewrite>& log) {
  std::vector<std::string> out;
  for (const auto& r : log) out.push_back(r.rule);
  return out;
}

}  // namespace gb_fusion_test
