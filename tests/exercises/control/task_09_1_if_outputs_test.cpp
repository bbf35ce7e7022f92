// Task 09.1 (lesson 09-dynamic-to-static): the inputs and outputs of an If built by source parsing.
// Write plan_if in lib/control/src/script/variables.cpp (exercise control.script.if_outputs):
//   outputs = the names either branch assigns that are live after the if;
//   inputs  = the defined names either branch reads, plus each output some path of a branch leaves
//             unassigned (that path passes the outer value through);
//   a gb::Error for such an output that has no value before the if.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gb/control/script.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/executor.hpp"

using gb::control::parse_script;
using gb::control::Script;

namespace {

const gb::graph::Node& the_if(const Script& script) {
  for (const auto& node : script.graph.nodes()) {
    if (node.op == "If") return node;
  }
  throw std::runtime_error("the script's graph has no If node");
}

std::vector<std::string> branch_inputs(const gb::graph::Node& node, const std::string& branch) {
  const gb::graph::Graph& g = *node.attr_graph(branch);
  std::vector<std::string> names;
  for (gb::graph::ValueId v : g.inputs()) names.push_back(g.value(v).name);
  return names;
}

double value_of(const Script& script, double x) {
  return gb::graph::run(script.graph, {{"x", gb::Tensor::scalar(x, gb::DType::f64)}}).at(0).item();
}

std::string error_of(const std::string& text) {
  try {
    parse_script(text);
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Task_09_1_IfOutputs, OnlyTheValuesLiveAfterTheIfComeOut) {
  const Script script = parse_script(
      "if x > 0:\n"
      "    t = x * x\n"
      "    y = t + 1\n"
      "else:\n"
      "    y = 0\n"
      "return y\n");
  const auto& node = the_if(script);
  EXPECT_EQ(node.outputs.size(), 1u);  // y; t is local to the then-branch
  EXPECT_EQ(branch_inputs(node, "then_branch"), std::vector<std::string>{"x"});
  EXPECT_EQ(branch_inputs(node, "else_branch"), std::vector<std::string>{"x"});
  EXPECT_DOUBLE_EQ(value_of(script, 2), 5);
  EXPECT_DOUBLE_EQ(value_of(script, -1), 0);
}

TEST(Task_09_1_IfOutputs, AValueAssignedInOneBranchPassesThroughTheOther) {
  const Script script = parse_script(
      "y = 1\n"
      "if x > 0: y = x * 10\n"
      "return y\n");
  const auto& node = the_if(script);
  EXPECT_EQ(node.outputs.size(), 1u);
  EXPECT_EQ(branch_inputs(node, "then_branch"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(branch_inputs(node, "else_branch"), (std::vector<std::string>{"x", "y"}));
  EXPECT_DOUBLE_EQ(value_of(script, 2), 20);
  EXPECT_DOUBLE_EQ(value_of(script, -2), 1);  // the empty else-branch gave y back unchanged
}

TEST(Task_09_1_IfOutputs, BranchesReceiveWhatTheyReadAndNothingElse) {
  const Script script = parse_script(
      "a = x + 1\n"
      "b = x * 2\n"
      "if x > 0:\n"
      "    a = a * b\n"
      "    c = 5\n"
      "return a + b\n");
  const auto& node = the_if(script);
  EXPECT_EQ(node.inputs.size(), 3u);   // the condition, a, b (not x: the branches do not read it)
  EXPECT_EQ(node.outputs.size(), 1u);  // a (b is not assigned, c is never read)
  EXPECT_EQ(branch_inputs(node, "then_branch"), (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(value_of(script, 1), 6);   // (2 * 2) + 2
  EXPECT_DOUBLE_EQ(value_of(script, -1), -2);  // 0 + -2
}

TEST(Task_09_1_IfOutputs, AnOutputWithoutAValueOnSomePathIsAnError) {
  EXPECT_EQ(error_of("if x > 0:\n    y = 2\nreturn y"),
            "script: expected 'y' to be defined before the if at 1:1 or assigned in both branches (it is read after "
            "the if), given 'y' assigned only in the then-branch at 2:5 and not defined before");
  EXPECT_EQ(error_of("if x > 0: pass\nelse: y = 2\nreturn y"),
            "script: expected 'y' to be defined before the if at 1:1 or assigned in both branches (it is read after "
            "the if), given 'y' assigned only in the else-branch at 2:7 and not defined before");
  EXPECT_EQ(error_of("if x > 0:\n    y = 1\nelse:\n    if x < -1:\n        y = 2\nreturn y"),
            "script: expected 'y' to be defined before the if at 1:1 or assigned in both branches (it is read after "
            "the if), given 'y' assigned only on some paths through the else-branch at 5:9 and not defined before");
}

TEST(Task_09_1_IfOutputs, AValueNotReadAfterwardsNeedsNoDefinition) {
  // y is assigned in one branch only, but nobody reads it: it stays inside, no error.
  const Script script = parse_script("z = x\nif x > 0:\n    y = 1\n    z = y + x\nreturn z");
  EXPECT_EQ(the_if(script).outputs.size(), 1u);
  EXPECT_DOUBLE_EQ(value_of(script, 2), 3);
  EXPECT_DOUBLE_EQ(value_of(script, -2), -2);
}
