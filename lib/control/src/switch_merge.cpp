// switch_merge.cpp: the token rules of Switch and Merge, the two primitives an If is made of
// (Yu et al., EuroSys 2018, section 4.1). Switch sends its data to one of two outputs and a dead token
// to the other; Merge forwards whichever input is live. Deadness is what keeps the untaken branch
// from doing any work: every op downstream of a dead token outputs dead without running its kernel.
#include "gb/control/dataflow.hpp"
#include "gb/core/error.hpp"

namespace gb::control {

std::vector<Token> fire_switch_or_merge(const graph::Node& node, const std::vector<std::optional<Token>>& inputs) {
  if (node.op != "Switch" && node.op != "Merge") {
    throw Error("fire_switch_or_merge", "a Switch or Merge node", "'" + node.op + "'");
  }
  if (node.op == "Switch" && (inputs.size() != 2 || !inputs[0] || !inputs[1])) {
    throw Error("Switch", "two input tokens [data, pred]", std::to_string(inputs.size()) + " slots, not all filled");
  }
  if (node.op == "Merge" && inputs.empty()) throw Error("Merge", "at least one input slot", "none");
  // BEGIN EXERCISE(control.switch_merge)
  if (node.op == "Switch") {
    const Token& data = *inputs[0];
    const Token& pred = *inputs[1];
    const Token dead{Tensor(), true};
    if (data.dead || pred.dead) return {dead, dead};
    if (pred.value.item() != 0.0) return {dead, data};  // {out_false, out_true}
    return {data, dead};
  }
  // Merge: the first live input wins; dead only when every input has arrived dead.
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] && !inputs[i]->dead) {
      return {*inputs[i], Token{Tensor::scalar(static_cast<double>(i), DType::i64), false}};
    }
  }
  for (const std::optional<Token>& input : inputs) {
    if (!input) return {};  // still waiting for an input that may be live
  }
  return {Token{Tensor(), true}, Token{Tensor(), true}};
  // END EXERCISE
}

}  // namespace gb::control
