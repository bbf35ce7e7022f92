// record.cpp: the forward graph and the backward gradient badges in scene "autodiff" (see record.hpp).
#include "record.hpp"

#include <cstdio>

#include "gb/trace/recorder.hpp"

namespace gb::autodiff::detail {

namespace {

thread_local bool in_backward = false;
// Node ids count from 0 in each recording: a recording that has no "autodiff" scene yet starts a new
// generation, so the same run gives the same ids (recordings are deterministic).
thread_local std::uint64_t generation = 0;
thread_local std::int64_t next_id = 0;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

trace::Recorder* recorder() {
  trace::Recorder* rec = trace::active();
  if (rec == nullptr || in_backward) return nullptr;
  if (rec->recording().find_scene(kGraphScene) == nullptr) {
    rec->add_scene(trace::graph_scene(kGraphScene, "Reverse mode: the graph (values) and the adjoints (gradients)"));
    ++generation;
    next_id = 0;
  }
  return rec;
}

// The graph id of v in the current recording; adds v as a node ("leaf") the first time it is seen.
std::string id_of(trace::Recorder& rec, const Variable& v, const std::string& op) {
  VariableImpl& impl = *v.impl();
  if (impl.trace_generation == generation && !impl.trace_id.empty()) return impl.trace_id;
  impl.trace_generation = generation;
  impl.trace_id = "v" + std::to_string(next_id++);
  const bool is_op = !op.empty();
  const std::string label = !impl.name.empty() ? impl.name : is_op ? op : (impl.requires_grad ? "leaf" : "constant");
  rec.step((is_op ? "forward: " + op + " computes " : "input " + label + " enters the graph: ") + badge(impl.value) + ".",
           trace::Level::op)
      .add_node(kGraphScene, {impl.trace_id, label, op, "", shape_str(impl.value.shape()), dtype_name(impl.value.dtype()),
                              trace::NodeState::done, badge(impl.value), ""})
      .highlight(kGraphScene, impl.trace_id);
  return impl.trace_id;
}

}  // namespace

std::string badge(const Tensor& t) {
  if (t.numel() > 4) return shape_str(t.shape()) + " " + dtype_name(t.dtype());
  std::string out = t.ndim() == 0 ? "" : "[";
  std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + number(values[i]);
  return out + (t.ndim() == 0 ? "" : "]");
}

void record_forward(const Variable& output, const std::string& op, const std::vector<Variable>& inputs) {
  trace::Recorder* rec = recorder();
  if (rec == nullptr || !grad_enabled()) return;
  std::vector<std::string> from;
  for (const Variable& input : inputs) from.push_back(id_of(*rec, input, ""));
  const std::string to = id_of(*rec, output, op);
  trace::StepBuilder step(*rec, rec->recording().steps.size() - 1);  // the step id_of just wrote
  for (std::size_t k = 0; k < from.size(); ++k) {  // x * x has two edges from x: ids name the operand
    const std::string edge = from[k] + "->" + to + "#" + std::to_string(k);
    step.add_edge(kGraphScene, {edge, from[k], to, ""}).highlight(kGraphScene, edge);
  }
}

void record_seed(const Variable& output, const Tensor& seed) {
  trace::Recorder* rec = recorder();
  if (rec == nullptr) return;
  const std::string id = id_of(*rec, output, "");
  rec->step("backward starts: the adjoint of the output is the seed " + badge(seed) + ".", trace::Level::pass)
      .set_gradient(kGraphScene, id, badge(seed))
      .highlight(kGraphScene, id);
}

void record_vjp(const Node& node, const std::vector<Variable>& inputs, const std::vector<Variable>& adjoints) {
  trace::Recorder* rec = recorder();
  if (rec == nullptr) return;
  std::string names;
  std::vector<std::pair<std::string, std::string>> badges;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!adjoints[i].defined()) continue;
    const std::string id = id_of(*rec, inputs[i], "");
    const VariableImpl& in = *inputs[i].impl();
    const std::string label = !in.name.empty() ? in.name : in.grad_fn ? in.grad_fn->op : "a leaf";
    names += (names.empty() ? "" : ", ") + label + " (" + id + ")";
    badges.emplace_back(id, badge(adjoints[i].value()));
  }
  const std::shared_ptr<VariableImpl> out = node.output.lock();
  auto step = rec->step("backward: the VJP of " + node.op + " sends the adjoint to " +
                            (names.empty() ? std::string("no input that requires grad") : names) + ".",
                        trace::Level::op);
  if (out && out->trace_generation == generation) step.highlight(kGraphScene, out->trace_id);
  for (const auto& [id, text] : badges) step.set_gradient(kGraphScene, id, text);
}

BackwardScope::BackwardScope() : previous_(in_backward) { in_backward = true; }
BackwardScope::~BackwardScope() { in_backward = previous_; }

}  // namespace gb::autodiff::detail
