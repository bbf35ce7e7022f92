// script_lowering_test.cpp: parse_script end to end (lesson 09): the graph it builds (both branches
// of an if kept as two subgraphs, loops as While ops), its values under graph::run for inputs that
// take each path, its gradients, tensor inputs, and the errors of the lowering with line:column.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gb/control/script.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"

using gb::DType;
using gb::Tensor;
using gb::control::parse_script;
using gb::control::Script;
using gb::graph::Graph;
using gb::graph::ValueInfo;

namespace {

gb::graph::Feeds scalars(const std::map<std::string, double>& inputs) {
  gb::graph::Feeds feeds;
  for (const auto& [name, value] : inputs) feeds[name] = Tensor::scalar(value, DType::f64);
  return feeds;
}

double value_of(const Script& script, const std::map<std::string, double>& inputs) {
  return gb::graph::run(script.graph, scalars(inputs)).at(0).item();
}

// The value and d value / d `wrt` from the backward graph that graph::gradients appends.
std::pair<double, double> value_and_derivative(const std::string& text, const std::string& wrt, double at) {
  Script script = parse_script(text);
  Graph& g = script.graph;
  const gb::graph::ValueId out = g.outputs().at(0);
  const auto grads = gb::graph::gradients(g, out, {*g.find_input(wrt)});
  gb::graph::RunOptions options;
  options.fetch = {out, grads.at(0)};
  const auto values = gb::graph::run_fifo(g, scalars({{wrt, at}}), options).outputs;
  return {values.at(0).item(), values.at(1).item()};
}

std::vector<const gb::graph::Node*> nodes_of(const Graph& g, const std::string& op) {
  std::vector<const gb::graph::Node*> found;
  for (const auto& node : g.nodes()) {
    if (node.op == op) found.push_back(&node);
  }
  return found;
}

std::vector<std::string> placeholder_names(const Graph& g) {
  std::vector<std::string> names;
  for (gb::graph::ValueId v : g.inputs()) names.push_back(g.value(v).name);
  return names;
}

std::string error_of(const std::string& text, const std::map<std::string, ValueInfo>& infos = {}) {
  try {
    parse_script(text, infos);
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "no error";
}

const std::string if_else_script =
    "if x > 1:\n"
    "    y = x * 2\n"
    "else:\n"
    "    y = -x\n"
    "return y\n";

}  // namespace

TEST(ScriptIf, KeepsBothBranchesAsTwoSubgraphs) {
  const Script script = parse_script(if_else_script);
  EXPECT_EQ(script.inputs, std::vector<std::string>{"x"});
  const auto ifs = nodes_of(script.graph, "If");
  ASSERT_EQ(ifs.size(), 1u);
  const gb::graph::Node& node = *ifs[0];
  EXPECT_EQ(node.inputs.size(), 2u);   // the condition and x
  EXPECT_EQ(node.outputs.size(), 1u);  // y
  const Graph& then_branch = *node.attr_graph("then_branch");
  const Graph& else_branch = *node.attr_graph("else_branch");
  EXPECT_EQ(placeholder_names(then_branch), std::vector<std::string>{"x"});
  EXPECT_EQ(placeholder_names(else_branch), std::vector<std::string>{"x"});
  EXPECT_EQ(nodes_of(then_branch, "mul").size(), 1u);
  EXPECT_EQ(nodes_of(else_branch, "neg").size(), 1u);
  // One graph, two inputs, each taking its branch: nothing was frozen at build time.
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 3}}), 6);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 0.5}}), -0.5);
}

TEST(ScriptIf, GradientFollowsTheBranchTaken) {
  EXPECT_DOUBLE_EQ(value_and_derivative(if_else_script, "x", 3).second, 2);
  EXPECT_DOUBLE_EQ(value_and_derivative(if_else_script, "x", 0.5).second, -1);
}

TEST(ScriptIf, ElifAndABranchThatPassesAValueThrough) {
  const Script script = parse_script(
      "y = 0\n"
      "if x > 1: y = x\n"
      "elif x < -1: y = -x\n"
      "return y + 1\n");
  ASSERT_EQ(nodes_of(script.graph, "If").size(), 1u);
  const gb::graph::Node& outer = *nodes_of(script.graph, "If")[0];
  EXPECT_EQ(outer.inputs.size(), 3u);  // the condition, x (read) and y (the elif may pass it through)
  EXPECT_EQ(nodes_of(*outer.attr_graph("else_branch"), "If").size(), 1u);  // elif = an if in the else-branch
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 2}}), 3);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", -3}}), 4);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 0}}), 1);
}

TEST(ScriptIf, FreeNamesAreInputsInOrderOfFirstUse) {
  const Script script = parse_script("y = b + a\nif y > c: z = a\nelse: z = d\nreturn z * b");
  EXPECT_EQ(script.inputs, (std::vector<std::string>{"b", "a", "c", "d"}));
  EXPECT_EQ(placeholder_names(script.graph), script.inputs);
  EXPECT_DOUBLE_EQ(value_of(script, {{"a", 1}, {"b", 2}, {"c", 0}, {"d", 7}}), 2);
  EXPECT_DOUBLE_EQ(value_of(script, {{"a", 1}, {"b", 2}, {"c", 5}, {"d", 7}}), 14);
}

TEST(ScriptLoops, WhileCarriesWhatItAssignsAndReads) {
  const Script script = parse_script(
      "y = x\n"
      "while y < limit:\n"
      "    y = y * y\n"
      "return y\n");
  const auto loops = nodes_of(script.graph, "While");
  ASSERT_EQ(loops.size(), 1u);
  EXPECT_EQ(loops[0]->inputs.size(), 2u);  // limit (read, passed through) and y (assigned)
  EXPECT_EQ(placeholder_names(*loops[0]->attr_graph("body")), (std::vector<std::string>{"limit", "y"}));
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 2}, {"limit", 100}}), 256);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 3}, {"limit", 100}}), 6561);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 300}, {"limit", 100}}), 300);  // zero iterations
}

TEST(ScriptLoops, ForRangeWithALiteralOrAScalarExpression) {
  const Script literal = parse_script("s = 0\nfor i in range(4): s = s + i * x\nreturn s");
  EXPECT_DOUBLE_EQ(value_of(literal, {{"x", 2}}), 12);  // 2 * (0 + 1 + 2 + 3)
  const Script expression = parse_script("s = 0\nfor i in range(n + 1):\n    s = s + i\nreturn s");
  EXPECT_EQ(expression.inputs, std::vector<std::string>{"n"});
  EXPECT_DOUBLE_EQ(value_of(expression, {{"n", 4}}), 10);
  EXPECT_DOUBLE_EQ(value_of(expression, {{"n", -1}}), 0);
  // Comparisons give u8: a bound of dtype u8 is cast to f64 for the counter.
  EXPECT_DOUBLE_EQ(value_of(parse_script("s = x\nfor i in range(x > 0): s = s * 10\nreturn s"), {{"x", 3}}), 30);
}

TEST(ScriptLoops, NestedLoops) {
  const Script script = parse_script(
      "s = 0\n"
      "for i in range(3):\n"
      "    for j in range(4):\n"
      "        s = s + x * i * j\n"
      "return s\n");
  EXPECT_EQ(nodes_of(script.graph, "While").size(), 1u);
  const Graph& body = *nodes_of(script.graph, "While")[0]->attr_graph("body");
  EXPECT_EQ(nodes_of(body, "While").size(), 1u);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 1.5}}), 27);  // 1.5 * (0+1+2) * (0+1+2+3)
}

TEST(ScriptLoops, IfInsideWhile) {
  const Script script = parse_script(
      "y = x\n"
      "k = 0\n"
      "while y < 50:\n"
      "    if y > 10:\n"
      "        y = y * 3\n"
      "    else:\n"
      "        y = y + 4\n"
      "    k = k + 1\n"
      "return y + k / 100\n");
  auto reference = [](double y) {
    double k = 0;
    while (y < 50) {
      y = y > 10 ? y * 3 : y + 4;
      k += 1;
    }
    return y + k / 100;
  };
  for (double x : {1.0, 12.0, 49.0, 60.0}) EXPECT_DOUBLE_EQ(value_of(script, {{"x", x}}), reference(x)) << x;
}

TEST(ScriptLoops, WhileInsideIf) {
  const Script script = parse_script(
      "if x > 0:\n"
      "    while x < 10:\n"
      "        x = x * 2\n"
      "else:\n"
      "    x = -x\n"
      "return x\n");
  const auto ifs = nodes_of(script.graph, "If");
  ASSERT_EQ(ifs.size(), 1u);
  EXPECT_EQ(nodes_of(*ifs[0]->attr_graph("then_branch"), "While").size(), 1u);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", 3}}), 12);
  EXPECT_DOUBLE_EQ(value_of(script, {{"x", -2}}), 2);
}

TEST(ScriptLoops, LogisticMapValueAndDerivativeMatchTheClosedForm) {
  // Lesson 02's expression swell: three steps of x -> 4x(1-x) are
  //   f(x) = 64 x (1-x) (1-2x)^2 (1-8x+8x^2)^2,
  // whose derivative (product rule over u = x, v = 1-x, w = 1-2x, z = 1-8x+8x^2) is below.
  auto f = [](double x) {
    const double w = 1 - 2 * x, z = 1 - 8 * x + 8 * x * x;
    return 64 * x * (1 - x) * w * w * z * z;
  };
  auto df = [](double x) {
    const double u = x, v = 1 - x, w = 1 - 2 * x, z = 1 - 8 * x + 8 * x * x;
    return 64 * (v * w * w * z * z - u * w * w * z * z + u * v * 2 * w * -2 * z * z + u * v * w * w * 2 * z * (16 * x - 8));
  };
  const std::string text = "for i in range(3): x = 4*x*(1-x)\nreturn x";
  for (double x : {0.1, 0.3, 0.77}) {
    const auto [value, derivative] = value_and_derivative(text, "x", x);
    EXPECT_NEAR(value, f(x), 1e-12) << x;
    EXPECT_NEAR(derivative, df(x), 1e-9) << x;
  }
}

TEST(ScriptTensors, TheLessonsRnnExampleKeepsTheBranchTracingWouldFreeze) {
  // if h2h > w_x: h2h += mm(w_x, x.t())  (the tracing example of lesson 09), with tensor inputs.
  const std::map<std::string, ValueInfo> infos = {
      {"h2h", {DType::f64, {2, 4}}}, {"w_x", {DType::f64, {2, 3}}}, {"x", {DType::f64, {4, 3}}}};
  const Script script = parse_script(
      "if sum(h2h) > sum(w_x):\n"
      "    h2h = h2h + matmul(w_x, transpose(x))\n"
      "return h2h\n", infos);
  EXPECT_EQ(script.inputs, (std::vector<std::string>{"h2h", "w_x", "x"}));
  EXPECT_EQ(script.graph.value(script.graph.outputs()[0]).info, (ValueInfo{DType::f64, {2, 4}}));
  EXPECT_EQ(nodes_of(script.graph, "If").size(), 1u);
  std::vector<double> w(6), x(12);
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = 0.1 * static_cast<double>(k) - 0.2;
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 0.5 - 0.05 * static_cast<double>(k);
  for (double h : {1.0, -1.0}) {  // sum(h2h) = 8h against sum(w_x) = 0.3: both branches
    gb::graph::Feeds feeds = {{"h2h", Tensor::full({2, 4}, h, DType::f64)},
                              {"w_x", Tensor::from_values(w, {2, 3}, DType::f64)},
                              {"x", Tensor::from_values(x, {4, 3}, DType::f64)}};
    const std::vector<double> out = gb::graph::run(script.graph, feeds).at(0).to_vector();
    ASSERT_EQ(out.size(), 8u);
    for (std::size_t r = 0; r < 2; ++r) {
      for (std::size_t c = 0; c < 4; ++c) {
        double expected = h;
        if (8 * h > 0.3) {
          for (std::size_t k = 0; k < 3; ++k) expected += w[r * 3 + k] * x[c * 3 + k];
        }
        EXPECT_NEAR(out[r * 4 + c], expected, 1e-12) << h << " at " << r << "," << c;
      }
    }
  }
}

TEST(ScriptErrors, LoweringErrorsNameTheirLineAndColumn) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"if x > 1:\n    y = 2\nreturn y",
       "script: expected 'y' to be defined before the if at 1:1 or assigned in both branches (it is read after the "
       "if), given 'y' assigned only in the then-branch at 2:5 and not defined before"},
      {"while x < 3:\n    t = x\n    x = x + 1\nreturn t",
       "script: expected a variable with a value at 4:8, given 't', assigned only inside the while loop at 1:1 (at "
       "2:5)"},
      {"y = 0\nfor i in range(3): y = y + i\nreturn i",
       "script: expected a variable with a value at 3:8, given 'i', the counter of the for loop at 2:1, defined only "
       "inside it"},
      {"if x > 1:\n    y = x > 2\nelse:\n    y = x\nreturn y",
       "script: expected 'y' with one dtype and shape in both branches of the if at 1:1, given u8[] in the "
       "then-branch and f64[] in the else-branch"},
      {"y = 1\nwhile y < x:\n    y = y > 0\nreturn y",
       "script: expected 'y' to keep its dtype and shape through the while loop at 2:1, given f64[] before and u8[] "
       "after one iteration"},
      {"while 1 < 2: pass\nreturn x",
       "script: expected a while condition that reads a variable at 1:9, given one on constants only (the loop would "
       "run never or forever)"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(ScriptErrors, OpAndInputErrorsNameTheirPosition) {
  EXPECT_EQ(error_of("y = 2\nreturn matmul(x, y)").rfind("script: expected operands that 'matmul' accepts at 2:8, given matmul: ", 0), 0u)
      << error_of("y = 2\nreturn matmul(x, y)");
  const std::map<std::string, ValueInfo> vector = {{"h", {DType::f64, {2}}}};
  EXPECT_EQ(error_of("if h > 0: h = h + 1\nreturn h", vector),
            "script: expected a scalar condition for if at 1:6, given u8[2] (reduce it, e.g. with sum)");
  EXPECT_EQ(error_of("for i in range(h): pass\nreturn h", vector),
            "script: expected a scalar bound for range at 1:16, given f64[2]");
  EXPECT_EQ(error_of("return x", {{"q", {DType::f64, {}}}}),
            "script: expected input_infos only for the script's inputs (x), given 'q'");
}
