// variable.hpp: reverse-mode automatic differentiation on Tensors: the Variable, its Node, the tape.
//
// A Variable is a Tensor value plus what reverse mode needs: whether it requires a gradient, the
// Node (the recorded op) that produced it, and the adjoint that backward() accumulates into it.
// Every differentiable op (ops.hpp) computes its value with gb_core and, when grad mode is on and an
// operand requires grad, records a Node: the op's name, its inputs (the edges of the graph), the
// tensors its VJP will read (the saved tensors) and its VJP rule. The Nodes form the tape, a DAG:
// backward() visits it in reverse topological order, calls each VJP rule with the adjoint of the
// node's output (d loss / d output) and accumulates (+=) what it returns into the adjoints of the
// node's inputs. Adjoints of leaves (Variables made by the user) end up in Variable::grad().
//
// VJP rules are written with the differentiable ops themselves. With create_graph = false they run
// under a NoGradGuard and record nothing; with create_graph = true the backward pass is recorded like
// any forward pass, so the gradient is a Variable that can be differentiated again (Hessians).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::autodiff {

struct Node;
struct VariableImpl;

class Variable {
 public:
  Variable() = default;  // undefined: defined() == false; every op on it throws gb::Error
  // A leaf. requires_grad needs a floating dtype (f32 or f64). `name` labels it in recordings.
  explicit Variable(Tensor value, bool requires_grad = false, std::string name = "");

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  std::size_t ndim() const { return value().ndim(); }
  std::int64_t numel() const { return value().numel(); }
  const std::string& name() const;

  bool requires_grad() const;
  bool is_leaf() const;                          // made by the user, not by an op
  const std::shared_ptr<Node>& grad_fn() const;  // the op that made it; null for a leaf
  // The adjoint accumulated by backward() into this leaf: a Variable (with a graph of its own when
  // backward ran with create_graph). Undefined before the first backward.
  Variable grad() const;
  void zero_grad();                     // forgets the accumulated adjoint
  void set_requires_grad(bool value);  // leaves only
  Variable detach() const;             // same value, no graph, requires_grad = false

  // backward(*this, seed, {retain_graph, create_graph}); see backward() below.
  void backward(const Tensor& seed = Tensor(), bool retain_graph = false, bool create_graph = false) const;

  const VariableImpl* id() const { return impl_.get(); }  // identity (two handles, one Variable)
  const std::shared_ptr<VariableImpl>& impl() const { return impl_; }
  static Variable from_impl(std::shared_ptr<VariableImpl> impl);

 private:
  std::shared_ptr<VariableImpl> impl_;
};

// The state one Variable handle shares with its copies.
struct VariableImpl {
  Tensor value;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // null for a leaf
  Variable grad;                  // the accumulated adjoint (leaves)
  std::string name;
  std::uint64_t trace_generation = 0;  // recording bookkeeping (record.cpp): id valid in which recording
  std::string trace_id;
};

// What a VJP rule is given: the node (its inputs), its output and the adjoint of that output.
struct VjpContext {
  const Node& node;
  Variable output;
  Variable adjoint;  // d loss / d output, shaped like the output
  const Variable& input(std::size_t i) const;
  bool needs_grad(std::size_t i) const;  // does input i require grad (else its adjoint is skipped)
};
// Returns one adjoint per input, each shaped like that input (undefined = no gradient for it).
using VjpRule = std::function<std::vector<Variable>(const VjpContext&)>;

// One recorded op: a vertex of the tape.
struct Node {
  std::int64_t sequence = 0;      // creation order
  std::string op;                 // "mul", "matmul", ...
  std::vector<Variable> inputs;   // the edges: operands, in order
  std::vector<Tensor> saved;      // the tensors the VJP reads (saved_bytes() counts them)
  VjpRule vjp;
  std::weak_ptr<VariableImpl> output;  // weak: the output owns its node, not the other way round
  bool released = false;  // backward ran without retain_graph: the saved tensors are gone
};

// Records `op` (when grad mode is on and some input requires grad; else returns a plain Variable):
// the result Variable holds `value` and a new Node with the inputs, saved tensors and VJP rule.
// When a Recorder is attached, the forward step is recorded too (record.cpp).
Variable record_op(const std::string& op, Tensor value, std::vector<Variable> inputs, std::vector<Tensor> saved,
                   VjpRule vjp);

// --- grad mode -------------------------------------------------------------------------------------
bool grad_enabled();  // per thread; on by default
// Turns grad mode off for its lifetime (no Nodes are recorded): evaluation, SGD updates, VJPs.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
// Turns grad mode on for its lifetime (checkpoint's recomputation inside a backward pass).
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// --- the backward pass (backward.cpp) ----------------------------------------------------------------
struct BackwardOptions {
  bool retain_graph = false;  // keep the saved tensors for another backward (create_graph implies it)
  bool create_graph = false;  // record the backward pass itself: gradients of gradients
};

// Accumulates d output / d leaf (times seed) into leaf.grad() of every leaf that requires grad.
// seed: the adjoint of `output`; may be omitted only when output has one element (seed 1).
void backward(const Variable& output, const Tensor& seed = Tensor(), const BackwardOptions& options = {});
// Like torch.autograd.grad: the adjoints of `inputs` (leaves or not), without touching .grad().
// An input the output does not depend on gets zeros.
std::vector<Variable> grad(const Variable& output, const std::vector<Variable>& inputs, const Tensor& seed = Tensor(),
                           const BackwardOptions& options = {});

// The Nodes reachable from `output`, in the order backward visits them (reverse topological order:
// every node before the nodes of its inputs).
std::vector<std::shared_ptr<Node>> backward_order(const Variable& output);

}  // namespace gb::autodiff
