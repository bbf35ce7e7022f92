// lower.cpp: from functional control flow to TF1's dataflow primitives (Yu et al., EuroSys 2018,
// section 4). Every If and While is replaced, recursively, by Switch / Merge / Enter / Exit /
// NextIteration, and its subgraphs are inlined:
//
//   If(c, args):    pivot_f, pivot_t = Switch(c, c);  a_f, a_t = Switch(a, c) per arg
//                   then_branch inlined on a_t, else_branch on a_f;  out_i = Merge(else_i, then_i)
//   While(vars):    m = Merge(Enter(v))  per loop-variant value        (the back edge: NextIteration)
//                   e = Enter(v, is_constant) per loop invariant          (the body returns it unchanged)
//                   p = cond inlined on (m | e);  f, t = Switch(m | e, p)
//                   body inlined on t;  NextIteration(body_i) -> m_i;  out_i = Exit(f_i) (invariants: v)
//   WhileGrad:      expanded into functional loops first (below), then lowered like any While.
// A constant inside a branch or loop becomes FrameConstant(pivot), so it is dead in an untaken branch
// and fires once per iteration.
#include <optional>

#include "control_internal.hpp"
#include "gb/control/dataflow.hpp"
#include "gb/control/functional.hpp"
#include "gb/core/error.hpp"

namespace gb::control {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

Tensor index_scalar(std::int64_t v) { return Tensor::scalar(static_cast<double>(v), DType::i64); }

// WhileGrad as functional loops, so that the lowering needs no stack: the backward loop recomputes
// s_t from s_0 by running the body t times (O(T^2) body runs instead of WhileGrad's O(T), the
// "recompute everything" end of the checkpointing trade-off). The arithmetic is the same, so the
// values are the same as WhileGrad's.
//   T  = number of iterations (the forward loop with a counter)
//   for k = T .. 1:  s = body^(k-1)(s_0);  a = body_grad(s, a)
Graph expand_while_grad(const Node& node) {
  const Graph& cond = detail::subgraph(node, "cond");
  const Graph& body = detail::subgraph(node, "body");
  const Graph& body_grad = detail::subgraph(node, "body_grad");
  const std::int64_t max_iterations = node.attr_int("max_iterations");
  const std::vector<graph::ValueInfo> carried_infos = detail::input_infos(body);
  const std::size_t n = carried_infos.size();
  const graph::ValueInfo counter{DType::i64, {}};
  std::vector<graph::ValueInfo> adjoint_infos;
  for (std::int64_t i : node.attr_ints("wrt")) adjoint_infos.push_back(carried_infos.at(static_cast<std::size_t>(i)));
  const std::size_t m = adjoint_infos.size();

  auto placeholders = [](Graph& g, const std::vector<graph::ValueInfo>& infos, const std::string& stem) {
    std::vector<ValueId> vs;
    for (std::size_t i = 0; i < infos.size(); ++i) vs.push_back(g.placeholder(stem + std::to_string(i), infos[i]));
    return vs;
  };
  auto slice = [](const std::vector<ValueId>& v, std::size_t from, std::size_t count) {
    return std::vector<ValueId>(v.begin() + static_cast<std::ptrdiff_t>(from),
                                v.begin() + static_cast<std::ptrdiff_t>(from + count));
  };

  Graph x;
  const std::vector<ValueId> carried = placeholders(x, carried_infos, "carried_");
  const std::vector<ValueId> adjoints = placeholders(x, adjoint_infos, "adjoint_");

  // 1. T: the forward loop, counting.
  std::vector<graph::ValueInfo> count_infos = carried_infos;
  count_infos.push_back(counter);
  auto count_cond = std::make_shared<Graph>();
  {
    const std::vector<ValueId> in = placeholders(*count_cond, count_infos, "v");
    count_cond->set_outputs(detail::inline_graph(*count_cond, cond, slice(in, 0, n), "cond/"));
  }
  auto count_body = std::make_shared<Graph>();
  {
    const std::vector<ValueId> in = placeholders(*count_body, count_infos, "v");
    std::vector<ValueId> out = detail::inline_graph(*count_body, body, slice(in, 0, n), "body/");
    out.push_back(count_body->add("add", {in[n], count_body->constant(index_scalar(1), "one")}, {}, "count"));
    count_body->set_outputs(out);
  }
  std::vector<ValueId> count_in = carried;
  count_in.push_back(x.constant(index_scalar(0), "zero"));
  const ValueId iterations = make_while(x, count_in, count_cond, count_body, max_iterations, node.name + "_count")[n];

  // 2. The backward loop over k = T .. 1, carrying [k, adjoints..., s_0...].
  std::vector<graph::ValueInfo> reverse_infos{counter};
  reverse_infos.insert(reverse_infos.end(), adjoint_infos.begin(), adjoint_infos.end());
  reverse_infos.insert(reverse_infos.end(), carried_infos.begin(), carried_infos.end());
  auto reverse_cond = std::make_shared<Graph>();
  {
    const std::vector<ValueId> in = placeholders(*reverse_cond, reverse_infos, "v");
    reverse_cond->set_outputs({reverse_cond->add("gt", {in[0], reverse_cond->constant(index_scalar(0), "zero")})});
  }
  // The recompute loop s = body^(k-1)(s_0), carrying [j, s..., k-1].
  std::vector<graph::ValueInfo> recompute_infos{counter};
  recompute_infos.insert(recompute_infos.end(), carried_infos.begin(), carried_infos.end());
  recompute_infos.push_back(counter);
  auto recompute_cond = std::make_shared<Graph>();
  {
    const std::vector<ValueId> in = placeholders(*recompute_cond, recompute_infos, "v");
    recompute_cond->set_outputs({recompute_cond->add("lt", {in[0], in[n + 1]})});
  }
  auto recompute_body = std::make_shared<Graph>();
  {
    const std::vector<ValueId> in = placeholders(*recompute_body, recompute_infos, "v");
    std::vector<ValueId> out{recompute_body->add("add", {in[0], recompute_body->constant(index_scalar(1), "one")})};
    const std::vector<ValueId> next = detail::inline_graph(*recompute_body, body, slice(in, 1, n), "body/");
    out.insert(out.end(), next.begin(), next.end());
    out.push_back(in[n + 1]);
    recompute_body->set_outputs(out);
  }
  auto reverse_body = std::make_shared<Graph>();
  {
    Graph& g = *reverse_body;
    const std::vector<ValueId> in = placeholders(g, reverse_infos, "v");
    const ValueId k_minus_1 = g.add("sub", {in[0], g.constant(index_scalar(1), "one")}, {}, "k_minus_1");
    std::vector<ValueId> start{g.constant(index_scalar(0), "zero")};
    const std::vector<ValueId> s0 = slice(in, 1 + m, n);
    start.insert(start.end(), s0.begin(), s0.end());
    start.push_back(k_minus_1);
    const std::vector<ValueId> s =
        slice(make_while(g, start, recompute_cond, recompute_body, max_iterations, node.name + "_recompute"), 1, n);
    std::vector<ValueId> grad_in = s;
    const std::vector<ValueId> a = slice(in, 1, m);
    grad_in.insert(grad_in.end(), a.begin(), a.end());
    std::vector<ValueId> out{k_minus_1};
    const std::vector<ValueId> a_next = detail::inline_graph(g, body_grad, grad_in, "body_grad/");
    out.insert(out.end(), a_next.begin(), a_next.end());
    out.insert(out.end(), s0.begin(), s0.end());
    g.set_outputs(out);
  }
  std::vector<ValueId> reverse_in{iterations};
  reverse_in.insert(reverse_in.end(), adjoints.begin(), adjoints.end());
  reverse_in.insert(reverse_in.end(), carried.begin(), carried.end());
  x.set_outputs(slice(make_while(x, reverse_in, reverse_cond, reverse_body, max_iterations, node.name + "_reverse"), 1, m));
  return x;
}

class Lowering {
 public:
  explicit Lowering(Graph& dst) : dst_(dst) {}

  // Lowers the nodes of `src` into dst_. inputs: the dst values for src's placeholders. pivot: the
  // value that gates constants (nullopt in the root frame). Returns the dst values of src's outputs.
  std::vector<ValueId> lower(const Graph& src, const std::vector<ValueId>& inputs, std::optional<ValueId> pivot,
                             const std::string& prefix) {
    std::vector<ValueId> map(src.values().size(), -1);
    for (std::size_t i = 0; i < inputs.size(); ++i) map[static_cast<std::size_t>(src.inputs().at(i))] = inputs[i];
    for (graph::NodeId id : src.topological_order()) {
      const Node& node = src.node(id);
      if (node.op == "placeholder") continue;
      std::vector<ValueId> ins;
      for (ValueId v : node.inputs) ins.push_back(map[static_cast<std::size_t>(v)]);
      const graph::NodeId first_new = static_cast<graph::NodeId>(dst_.size());
      std::vector<ValueId> outs;
      if (node.op == "constant") {
        outs = {pivot ? dst_.add("FrameConstant", {*pivot}, {{"value", node.attr_tensor("value")}}, prefix + node.name)
                      : dst_.constant(node.attr_tensor("value"), prefix + node.name)};
      } else if (node.op == "If") {
        outs = lower_if(node, ins, prefix);
      } else if (node.op == "While") {
        outs = lower_while(node, ins, prefix);
      } else if (node.op == "WhileGrad") {
        const Graph expanded = expand_while_grad(node);
        outs = lower(expanded, ins, pivot, prefix + node.name + "/");
      } else {
        outs = dst_.add_node(node.op, ins, node.attrs, prefix + node.name);
      }
      // The nodes made for this one keep its group ("forward" / "backward").
      if (!node.group.empty()) {
        for (graph::NodeId n = first_new; n < static_cast<graph::NodeId>(dst_.size()); ++n) {
          if (dst_.node(n).group.empty()) dst_.set_group(n, node.group);
        }
      }
      for (std::size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k) {
        map[static_cast<std::size_t>(node.outputs[k])] = outs[k];
      }
    }
    std::vector<ValueId> result;
    for (ValueId v : src.outputs()) result.push_back(map[static_cast<std::size_t>(v)]);
    return result;
  }

 private:
  std::vector<ValueId> lower_if(const Node& node, const std::vector<ValueId>& ins, const std::string& prefix) {
    const std::string stem = prefix + node.name + "/";
    const ValueId cond = ins.at(0);
    const std::vector<ValueId> pivots = dst_.add_node("Switch", {cond, cond}, {}, stem + "pivot");
    std::vector<ValueId> false_args, true_args;
    for (std::size_t i = 1; i < ins.size(); ++i) {
      const std::vector<ValueId> sides = dst_.add_node("Switch", {ins[i], cond}, {}, stem + "switch");
      false_args.push_back(sides[0]);
      true_args.push_back(sides[1]);
    }
    const std::vector<ValueId> then_out = lower(detail::subgraph(node, "then_branch"), true_args, pivots[1], stem + "then/");
    const std::vector<ValueId> else_out = lower(detail::subgraph(node, "else_branch"), false_args, pivots[0], stem + "else/");
    std::vector<ValueId> outs;
    for (std::size_t i = 0; i < then_out.size(); ++i) {
      outs.push_back(dst_.add_node("Merge", {else_out[i], then_out[i]}, {}, stem + "merge")[0]);
    }
    return outs;
  }

  std::vector<ValueId> lower_while(const Node& node, const std::vector<ValueId>& ins, const std::string& prefix) {
    const std::string stem = prefix + node.name + "/";
    const Graph& cond = detail::subgraph(node, "cond");
    const Graph& body = detail::subgraph(node, "body");
    const std::size_t n = ins.size();
    // A loop invariant: the body returns its placeholder unchanged. (If every value is invariant the
    // condition never changes; lower them all as variants so the loop still has a Merge to pivot on.)
    std::vector<bool> invariant(n);
    bool any_variant = false;
    for (std::size_t i = 0; i < n; ++i) {
      invariant[i] = body.outputs().at(i) == body.inputs().at(i);
      any_variant = any_variant || !invariant[i];
    }
    if (!any_variant) invariant.assign(n, false);
    const std::string frame = prefix + node.name + "@n" + std::to_string(dst_.size());
    const graph::Attributes frame_attrs{{"frame", frame}, {"loop", node.name}};

    std::vector<ValueId> in_frame(n), merges(n, -1);
    std::optional<ValueId> cond_pivot;
    for (std::size_t i = 0; i < n; ++i) {
      graph::Attributes enter_attrs = frame_attrs;
      enter_attrs["is_constant"] = std::int64_t{invariant[i] ? 1 : 0};
      const ValueId entered = dst_.add("Enter", {ins[i]}, enter_attrs, stem + "enter");
      if (invariant[i]) {
        in_frame[i] = entered;
      } else {
        merges[i] = in_frame[i] = dst_.add_node("Merge", {entered}, frame_attrs, stem + "merge")[0];
        if (!cond_pivot) cond_pivot = in_frame[i];
      }
    }
    const ValueId pred = lower(cond, in_frame, cond_pivot, stem + "cond/").at(0);
    std::vector<ValueId> body_in(n), outs(n);
    std::optional<ValueId> body_pivot;
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<ValueId> sides = dst_.add_node("Switch", {in_frame[i], pred}, {}, stem + "switch");
      body_in[i] = sides[1];
      if (invariant[i]) {
        outs[i] = ins[i];
      } else {
        outs[i] = dst_.add("Exit", {sides[0]}, frame_attrs, stem + "exit");
        if (!body_pivot) body_pivot = sides[1];
      }
    }
    const std::vector<ValueId> body_out = lower(body, body_in, body_pivot, stem + "body/");
    for (std::size_t i = 0; i < n; ++i) {
      if (invariant[i]) continue;
      graph::Attributes next_attrs = frame_attrs;
      next_attrs["merge"] = dst_.value(merges[i]).producer;
      next_attrs["max_iterations"] = node.attr_int("max_iterations");
      dst_.add("NextIteration", {body_out[i]}, next_attrs, stem + "next_iteration");
    }
    return outs;
  }

  Graph& dst_;
};

}  // namespace

graph::Graph lower_to_dataflow(const graph::Graph& functional) {
  register_ops();
  Graph lowered;
  std::vector<ValueId> inputs;
  for (ValueId v : functional.inputs()) {
    const graph::Value& value = functional.value(v);
    const Node& node = functional.node(value.producer);
    inputs.push_back(lowered.placeholder(node.has_attr("name") ? node.attr_string("name") : value.name, value.info));
  }
  Lowering lowering(lowered);
  lowered.set_outputs(lowering.lower(functional, inputs, std::nullopt, ""));
  return lowered;
}

}  // namespace gb::control
