// rewriter.cpp: copying a graph node by node, with rules replacing what they match (rewriter.hpp).
#include "gb/passes/rewriter.hpp"

#include "gb/core/error.hpp"

namespace gb::passes {

Rewriter::Rewriter(const Graph& source) : source_(source), consumers_(source.values().size()) {
  for (const Node& n : source.nodes()) {
    for (ValueId v : n.inputs) consumers_[static_cast<std::size_t>(v)].push_back(n.id);
  }
  // Placeholders first, in the order of the graph's inputs, so the result keeps its signature.
  std::vector<bool> placed(source.size(), false);
  for (ValueId v : source.inputs()) {
    NodeId p = source.value(v).producer;
    order_.push_back(p);
    placed[static_cast<std::size_t>(p)] = true;
  }
  for (NodeId id : source.topological_order(false)) {
    if (!placed[static_cast<std::size_t>(id)]) order_.push_back(id);
  }
}

std::vector<ValueId> Rewriter::copy(NodeId id) {
  const Node& n = source_.node(id);
  std::vector<ValueId> outs;
  if (n.op == "placeholder") {
    outs.push_back(target_.placeholder(n.attr_string("name"), source_.value(n.outputs.at(0)).info));
  } else if (n.op == "constant") {
    outs.push_back(target_.constant(n.attr_tensor("value"), n.name == "constant" ? "" : n.name));
  } else {
    std::vector<ValueId> ins;
    for (ValueId v : n.inputs) ins.push_back(map(v));
    outs = target_.add_node(n.op, ins, n.attrs, n.name);
  }
  NodeId made = target_.value(outs.at(0)).producer;
  if (!n.group.empty()) target_.set_group(made, n.group);
  for (std::size_t k = 0; k < outs.size() && k < n.outputs.size(); ++k) {
    target_.set_value_name(outs[k], source_.value(n.outputs[k]).name);
    map_[n.outputs[k]] = outs[k];
  }
  return outs;
}

ValueId Rewriter::map(ValueId v) const {
  auto it = map_.find(v);
  if (it == map_.end()) {
    throw Error("rewriter", "a source value copied or replaced before it is read", "v" + std::to_string(v));
  }
  return it->second;
}

void Rewriter::replace(ValueId v, ValueId now) {
  source_.value(v);
  target_.value(now);
  map_[v] = now;
}

std::vector<ValueId> Rewriter::emit(const std::string& op, const std::vector<ValueId>& target_inputs,
                                    Attributes attrs, const std::string& name, NodeId like) {
  std::vector<ValueId> outs = target_.add_node(op, target_inputs, std::move(attrs), name);
  if (like >= 0 && !outs.empty()) {
    const std::string& group = source_.node(like).group;
    if (!group.empty()) target_.set_group(target_.value(outs[0]).producer, group);
  }
  return outs;
}

ValueId Rewriter::emit1(const std::string& op, const std::vector<ValueId>& target_inputs, Attributes attrs,
                        const std::string& name, NodeId like) {
  std::vector<ValueId> outs = emit(op, target_inputs, std::move(attrs), name, like);
  if (outs.size() != 1) throw Error(op, "an op with one output", std::to_string(outs.size()) + " outputs");
  return outs[0];
}

ValueId Rewriter::constant(const Tensor& value, const std::string& name) { return target_.constant(value, name); }

const Node& Rewriter::producer(ValueId v) const { return source_.node(source_.value(v).producer); }

bool Rewriter::is_output(ValueId v) const {
  for (ValueId o : source_.outputs()) {
    if (o == v) return true;
  }
  return false;
}

bool Rewriter::single_consumer(ValueId v) const {
  source_.value(v);
  return consumers_[static_cast<std::size_t>(v)].size() == 1 && !is_output(v);
}

const Tensor* Rewriter::constant_value(ValueId v) const {
  const Node& p = producer(v);
  if (p.op != "constant") return nullptr;
  return &p.attr_tensor("value");
}

Graph Rewriter::finish() {
  std::vector<ValueId> outs;
  for (ValueId v : source_.outputs()) outs.push_back(map(v));
  target_.set_outputs(outs);
  return std::move(target_);
}

}  // namespace gb::passes
