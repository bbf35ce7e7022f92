// backward.cpp: the backward pass. Read top to bottom: the order, then the traversal.
//
//   1. backward_order: the nodes reachable from the output, each before the nodes of its inputs
//      (reverse of a depth-first post-order), so a node's adjoint is complete when it is visited:
//      every consumer of its output has already sent its share.
//   2. run_backward: adjoint[output] = seed; for each node in that order, call its VJP rule with
//      adjoint[node] and accumulate (+=) each returned adjoint into the adjoint of that input:
//      adjoint[input's node] for an intermediate, the leaf's grad() for a leaf. A Variable used
//      twice gets two contributions: that sum is the multivariate chain rule.
//   3. Without retain_graph the visited nodes are released afterwards (saved tensors and edges
//      dropped); a second backward through them throws.
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/autodiff/tensor/variable.hpp"
#include "record.hpp"
#include "tensor_math.hpp"

namespace gb::autodiff {

std::vector<std::shared_ptr<Node>> backward_order(const Variable& output) {
  if (!output.defined()) throw Error("backward_order", "a defined Variable", "an undefined Variable");
  std::vector<std::shared_ptr<Node>> post_order;
  if (!output.grad_fn()) return post_order;
  // Depth-first search without recursion (graphs can be deep): a stack of (node, next input to visit).
  std::unordered_set<const Node*> visited{output.grad_fn().get()};
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{output.grad_fn(), 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const std::shared_ptr<Node>& input_node = node->inputs[next++].grad_fn();
      if (input_node && visited.insert(input_node.get()).second) stack.emplace_back(input_node, 0);
    } else {
      post_order.push_back(node);  // every input visited: node goes after them
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

namespace {

// adjoint += contribution (a differentiable add when the backward pass is recorded).
void accumulate(Variable& adjoint, const Variable& contribution) {
  adjoint = adjoint.defined() ? add(adjoint, contribution) : contribution;
}

Variable seed_of(const Variable& output, const Tensor& seed, const std::string& op) {
  if (!output.requires_grad()) {
    throw Error(op, "an output that requires grad (computed, with grad mode on, from a Variable with requires_grad)",
                "a Variable that does not require grad");
  }
  if (!seed.defined()) {
    if (output.numel() != 1) {
      throw Error(op, "a seed gradient shaped " + shape_str(output.shape()) + " for a non-scalar output",
                  "an output of shape " + shape_str(output.shape()) + " and no seed");
    }
    return constant(Tensor::ones(output.shape(), output.dtype()));
  }
  if (seed.shape() != output.shape() || seed.dtype() != output.dtype()) {
    throw Error(op, "a seed of the output's shape and dtype " + shape_str(output.shape()) + " " + dtype_name(output.dtype()),
                shape_str(seed.shape()) + " " + dtype_name(seed.dtype()));
  }
  return constant(seed);
}

// Where the adjoints of leaves go: into leaf.grad() (backward) or into a map (grad).
using Captured = std::unordered_map<const VariableImpl*, Variable>;

void run_backward(const Variable& output, const Tensor& seed, const BackwardOptions& options, Captured* captured,
                  const std::string& op) {
  const bool create_graph = options.create_graph;
  const bool retain_graph = options.retain_graph || create_graph;
  Variable root_adjoint = seed_of(output, seed, op);
  detail::record_seed(output, root_adjoint.value());

  auto deliver_to_leaf = [&](const Variable& leaf, const Variable& given) {
    // A leaf's adjoint is stored row-major: an adjoint may arrive as a broadcast view (stride 0).
    const Variable adjoint = given.value().is_contiguous() ? given : reshape(given, given.shape());
    if (captured != nullptr) {
      auto it = captured->find(leaf.id());
      if (it != captured->end()) accumulate(it->second, adjoint);
    } else {
      accumulate(leaf.impl()->grad, adjoint);
    }
  };
  std::optional<NoGradGuard> no_grad;
  if (!create_graph) no_grad.emplace();  // VJP rules record nothing unless the graph is wanted

  if (output.is_leaf()) {
    deliver_to_leaf(output, root_adjoint);
    return;
  }
  const std::vector<std::shared_ptr<Node>> order = backward_order(output);
  std::unordered_map<const Node*, Variable> adjoints{{output.grad_fn().get(), root_adjoint}};
  for (const std::shared_ptr<Node>& node : order) {
    auto found = adjoints.find(node.get());
    if (found == adjoints.end()) continue;  // no path from the output reached it with a gradient
    if (node->released) {
      throw Error(op, "retain_graph=true on the first backward, to run backward through the same graph again",
                  "a graph whose saved tensors an earlier backward freed (at op " + node->op + ")");
    }
    Variable adjoint = std::move(found->second);
    adjoints.erase(found);
    Variable out = Variable::from_impl(node->output.lock());
    if (!out.defined()) throw Error(op, "the output of " + node->op + " alive during backward", "a freed output");
    if (captured != nullptr) {  // an intermediate Variable asked for by grad()
      auto it = captured->find(out.id());
      if (it != captured->end()) accumulate(it->second, adjoint);
    }

    std::vector<Variable> input_adjoints;
    {
      detail::BackwardScope scope;  // the VJP's own ops are not drawn as forward nodes
      input_adjoints = node->vjp(VjpContext{*node, out, adjoint});
    }
    if (input_adjoints.size() != node->inputs.size()) {
      throw Error(op, "one adjoint per input from the VJP of " + node->op, std::to_string(input_adjoints.size()));
    }
    std::vector<Variable> totals(node->inputs.size());
    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const Variable& input = node->inputs[i];
      if (!input.requires_grad() || !input_adjoints[i].defined()) continue;
      if (input_adjoints[i].shape() != input.shape()) {
        throw Error(op, "the VJP of " + node->op + " to give input " + std::to_string(i) + " an adjoint shaped " +
                            shape_str(input.shape()),
                    shape_str(input_adjoints[i].shape()));
      }
      if (input.grad_fn()) {
        Variable& total = adjoints[input.grad_fn().get()];
        accumulate(total, input_adjoints[i]);
        totals[i] = total;
      } else {
        deliver_to_leaf(input, input_adjoints[i]);
        totals[i] = captured ? input_adjoints[i] : input.grad();
      }
    }
    detail::record_vjp(*node, node->inputs, totals);
  }
  if (!retain_graph) {
    for (const std::shared_ptr<Node>& node : order) {  // free what backward needed; keep the op name
      node->released = true;
      node->saved.clear();
      node->inputs.clear();
      node->vjp = nullptr;
    }
  }
}

}  // namespace

void backward(const Variable& output, const Tensor& seed, const BackwardOptions& options) {
  if (!output.defined()) throw Error("backward", "a defined Variable", "an undefined Variable");
  run_backward(output, seed, options, nullptr, "backward");
}

std::vector<Variable> grad(const Variable& output, const std::vector<Variable>& inputs, const Tensor& seed,
                           const BackwardOptions& options) {
  if (!output.defined()) throw Error("grad", "a defined output Variable", "an undefined Variable");
  Captured captured;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) {
      throw Error("grad", "inputs that require grad", "input " + std::to_string(i) + " that does not");
    }
    captured.emplace(inputs[i].id(), Variable());
  }
  run_backward(output, seed, options, &captured, "grad");
  std::vector<Variable> result;
  for (const Variable& input : inputs) {
    Variable g = captured.at(input.id());
    result.push_back(g.defined() ? g : constant(Tensor::zeros(input.shape(), input.dtype())));
  }
  return result;
}

}  // namespace gb::autodiff
