// tracer.cpp: tracing by running (tracer.hpp). Each op runs its registered kernel on the concrete
// values (so eager and graph results come from the same code) and appends a node to the graph.
#include "gb/graph/tracer.hpp"

#include "gb/core/math.hpp"
#include "gb/graph/registry.hpp"

namespace gb::graph {

namespace detail {
struct TraceState {
  Graph graph;
  std::vector<std::string> warnings;
};
}  // namespace detail

struct TraceAccess {
  static Traced make(const Tensor& value, ValueId id, std::shared_ptr<detail::TraceState> state) {
    Traced t(value);
    t.id_ = id;
    t.state_ = std::move(state);
    return t;
  }
  static const std::shared_ptr<detail::TraceState>& state(const Traced& t) { return t.state_; }
};

namespace {

void warn(const std::shared_ptr<detail::TraceState>& state, const std::string& text) {
  if (state) state->warnings.push_back(text);
}

// A double beside a traced value: a scalar of its dtype.
Traced lift(double value, const Traced& like) { return Traced(Tensor::scalar(value, like.value().dtype())); }

}  // namespace

bool Traced::truthy(const std::string& what) const {
  require_defined(value_, "Traced::truthy");
  if (value_.numel() != 1) {
    throw Error("Traced::truthy", "a value with one element to convert to a bool",
                "shape " + shape_str(value_.shape()) + " (reduce it first, e.g. with sum)");
  }
  warn(state_, "TracerWarning: " + what + ": converting a traced value to a bool: the branch taken at trace time is "
                   "frozen into the graph (it will not be re-evaluated for other inputs)");
  return value_.item() != 0;
}

double Traced::item(const std::string& what) const {
  require_defined(value_, "Traced::item");
  warn(state_, "TracerWarning: " + what + ": converting a traced value to a number: it is frozen into the graph as a "
                   "constant");
  return value_.item();
}

Traced Traced::apply(const std::string& op, const std::vector<Traced>& inputs, Attributes attrs) {
  std::shared_ptr<detail::TraceState> state;
  for (const Traced& t : inputs) {
    require_defined(t.value_, op);
    if (!t.state_) continue;
    if (state && state != t.state_) throw Error(op, "values of one trace", "values of two different traces");
    state = t.state_;
  }
  std::vector<Tensor> values;
  for (const Traced& t : inputs) values.push_back(t.value_);
  if (!state) {  // nothing traced: plain eager execution
    Node node;
    node.op = op;
    node.name = op;
    node.attrs = std::move(attrs);
    return Traced(find_op(op).kernel(KernelContext{node, values}).at(0));
  }
  std::vector<ValueId> ids;
  for (const Traced& t : inputs) ids.push_back(t.state_ ? t.id_ : state->graph.constant(t.value_));
  const ValueId out = state->graph.add(op, ids, std::move(attrs));
  const Node& node = state->graph.node(state->graph.value(out).producer);
  Tensor value = find_op(op).kernel(KernelContext{node, values}).at(0);
  return TraceAccess::make(value, out, state);
}

TraceResult trace(const std::function<std::vector<Traced>(const std::vector<Traced>&)>& fn,
                  const std::vector<std::pair<std::string, Tensor>>& example_inputs) {
  if (!fn) throw Error("trace", "a function to trace", "an empty std::function");
  auto state = std::make_shared<detail::TraceState>();
  std::vector<Traced> inputs;
  for (const auto& [name, tensor] : example_inputs) {
    require_defined(tensor, "trace");
    const ValueId id = state->graph.placeholder(name, {tensor.dtype(), tensor.shape()});
    inputs.push_back(TraceAccess::make(tensor, id, state));
  }
  const std::vector<Traced> outputs = fn(inputs);
  TraceResult result;
  std::vector<ValueId> ids;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const Traced& out = outputs[k];
    require_defined(out.value(), "trace");
    if (TraceAccess::state(out) == state) {
      ids.push_back(out.id());
    } else {
      if (TraceAccess::state(out)) throw Error("trace", "outputs of this trace", "a value of another trace");
      state->warnings.push_back("TracerWarning: output " + std::to_string(k) +
                                " does not depend on the inputs: it is frozen into the graph as a constant");
      ids.push_back(state->graph.constant(out.value()));
    }
    result.eager_outputs.push_back(out.value());
  }
  state->graph.set_outputs(ids);
  result.graph = state->graph;  // a copy: Traced values the caller kept still point at the state
  result.warnings = state->warnings;
  return result;
}

Traced operator+(const Traced& a, const Traced& b) { return Traced::apply("add", {a, b}); }
Traced operator-(const Traced& a, const Traced& b) { return Traced::apply("sub", {a, b}); }
Traced operator*(const Traced& a, const Traced& b) { return Traced::apply("mul", {a, b}); }
Traced operator/(const Traced& a, const Traced& b) { return Traced::apply("div", {a, b}); }
Traced operator-(const Traced& a) { return Traced::apply("neg", {a}); }
Traced operator+(const Traced& a, double b) { return a + lift(b, a); }
Traced operator-(const Traced& a, double b) { return a - lift(b, a); }
Traced operator*(const Traced& a, double b) { return a * lift(b, a); }
Traced operator/(const Traced& a, double b) { return a / lift(b, a); }
Traced operator+(double a, const Traced& b) { return lift(a, b) + b; }
Traced operator-(double a, const Traced& b) { return lift(a, b) - b; }
Traced operator*(double a, const Traced& b) { return lift(a, b) * b; }
Traced operator/(double a, const Traced& b) { return lift(a, b) / b; }
Traced operator>(const Traced& a, const Traced& b) { return Traced::apply("gt", {a, b}); }
Traced operator<(const Traced& a, const Traced& b) { return Traced::apply("lt", {a, b}); }
Traced operator>=(const Traced& a, const Traced& b) { return Traced::apply("ge", {a, b}); }
Traced operator<=(const Traced& a, const Traced& b) { return Traced::apply("le", {a, b}); }
Traced eq(const Traced& a, const Traced& b) { return Traced::apply("eq", {a, b}); }
Traced ne(const Traced& a, const Traced& b) { return Traced::apply("ne", {a, b}); }

Traced matmul(const Traced& a, const Traced& b) { return Traced::apply("matmul", {a, b}); }
Traced pow(const Traced& a, const Traced& b) { return Traced::apply("pow", {a, b}); }
Traced relu(const Traced& x) { return Traced::apply("relu", {x}); }
Traced sigmoid(const Traced& x) { return Traced::apply("sigmoid", {x}); }
Traced tanh(const Traced& x) { return Traced::apply("tanh", {x}); }
Traced exp(const Traced& x) { return Traced::apply("exp", {x}); }
Traced log(const Traced& x) { return Traced::apply("log", {x}); }
Traced sin(const Traced& x) { return Traced::apply("sin", {x}); }
Traced cos(const Traced& x) { return Traced::apply("cos", {x}); }
Traced sqrt(const Traced& x) { return Traced::apply("sqrt", {x}); }
Traced sum(const Traced& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return Traced::apply("sum", {x}, {{"axes", axes}, {"keepdim", std::int64_t{keepdim ? 1 : 0}}});
}
Traced mean(const Traced& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return Traced::apply("mean", {x}, {{"axes", axes}, {"keepdim", std::int64_t{keepdim ? 1 : 0}}});
}
Traced transpose(const Traced& x) { return Traced::apply("transpose", {x}); }
Traced reshape(const Traced& x, const Shape& shape) { return Traced::apply("reshape", {x}, {{"shape", shape}}); }
Traced where(const Traced& cond, const Traced& a, const Traced& b) { return Traced::apply("where", {cond, a, b}); }

}  // namespace gb::graph
