// variable.cpp: the Variable handle, grad mode, and record_op, which puts one Node on the tape.
#include "gb/autodiff/tensor/variable.hpp"

#include <atomic>
#include <utility>

#include "record.hpp"
#include "tensor_math.hpp"

namespace gb::autodiff {

namespace {
thread_local bool grad_mode = true;
std::atomic<std::int64_t> node_sequence{0};

const VariableImpl& impl_of(const std::shared_ptr<VariableImpl>& impl, const char* what) {
  if (!impl) throw Error(what, "a defined Variable", "an undefined Variable (default-constructed)");
  return *impl;
}
}  // namespace

// --- the handle --------------------------------------------------------------------------------------

Variable::Variable(Tensor value, bool requires_grad, std::string name) {
  detail::require_defined(value, "Variable");
  if (requires_grad) detail::require_floating(value, "Variable(requires_grad=true)");
  impl_ = std::make_shared<VariableImpl>();
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
  impl_->name = std::move(name);
}

Variable Variable::from_impl(std::shared_ptr<VariableImpl> impl) {
  Variable v;
  v.impl_ = std::move(impl);
  return v;
}

const Tensor& Variable::value() const { return impl_of(impl_, "Variable::value").value; }
const std::string& Variable::name() const { return impl_of(impl_, "Variable::name").name; }
bool Variable::requires_grad() const { return impl_of(impl_, "Variable::requires_grad").requires_grad; }
bool Variable::is_leaf() const { return impl_of(impl_, "Variable::is_leaf").grad_fn == nullptr; }
const std::shared_ptr<Node>& Variable::grad_fn() const { return impl_of(impl_, "Variable::grad_fn").grad_fn; }
Variable Variable::grad() const { return impl_of(impl_, "Variable::grad").grad; }

void Variable::zero_grad() {
  impl_of(impl_, "Variable::zero_grad");
  impl_->grad = Variable();
}

void Variable::set_requires_grad(bool value) {
  impl_of(impl_, "Variable::set_requires_grad");
  if (impl_->grad_fn) {
    throw Error("Variable::set_requires_grad", "a leaf (a Variable made by the user)",
                "the output of " + impl_->grad_fn->op + " (use detach() first)");
  }
  if (value) detail::require_floating(impl_->value, "Variable::set_requires_grad");
  impl_->requires_grad = value;
}

Variable Variable::detach() const { return Variable(value(), false, name()); }

void Variable::backward(const Tensor& seed, bool retain_graph, bool create_graph) const {
  autodiff::backward(*this, seed, {retain_graph, create_graph});
}

const Variable& VjpContext::input(std::size_t i) const { return node.inputs.at(i); }
bool VjpContext::needs_grad(std::size_t i) const { return node.inputs.at(i).requires_grad(); }

// --- grad mode -----------------------------------------------------------------------------------------

bool grad_enabled() { return grad_mode; }
NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
EnableGradGuard::EnableGradGuard() : previous_(grad_mode) { grad_mode = true; }
EnableGradGuard::~EnableGradGuard() { grad_mode = previous_; }

// --- one op on the tape -------------------------------------------------------------------------------

Variable record_op(const std::string& op, Tensor value, std::vector<Variable> inputs, std::vector<Tensor> saved,
                   VjpRule vjp) {
  bool any_requires_grad = false;
  for (const Variable& input : inputs) {
    if (!input.defined()) throw Error(op, "defined Variables as operands", "an undefined Variable");
    any_requires_grad = any_requires_grad || input.requires_grad();
  }
  Variable out(std::move(value));
  if (!grad_mode || !any_requires_grad) {
    detail::record_forward(out, op, inputs);
    return out;  // a constant: nothing to differentiate, nothing saved
  }
  auto node = std::make_shared<Node>();
  node->sequence = node_sequence.fetch_add(1);
  node->op = op;
  node->inputs = std::move(inputs);
  node->saved = std::move(saved);
  node->vjp = std::move(vjp);
  node->output = out.impl();
  out.impl()->requires_grad = true;
  out.impl()->grad_fn = std::move(node);
  detail::record_forward(out, op, out.grad_fn()->inputs);
  return out;
}

}  // namespace gb::autodiff
