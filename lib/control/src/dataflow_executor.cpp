// dataflow_executor.cpp: running a lowered graph with tagged tokens (TF1's executor, Yu et al.,
// EuroSys 2018, section 4.2, in one thread).
//
// A token lives on an edge with a tag: the stack of (frame, iteration) it belongs to, [] = the root
// frame. A node fires for one tag when its inputs hold tokens of that tag:
//   ordinary ops   all inputs present; any dead input -> every output dead (the kernel does not run)
//   Switch, Merge  fire_switch_or_merge (switch_merge.cpp); a loop Merge fires on either input
//   Enter          tag + (frame, 0); a constant Enter's token is handed to every iteration of the frame
//   NextIteration  (frame, k) -> (frame, k + 1), delivered to its Merge; a dead token stops there
//   Exit           tag without its last entry; dead tokens leave only a frame entered dead
// Events are handled first in, first out, so the run (and its recording) is deterministic.
#include <deque>
#include <iomanip>
#include <set>
#include <sstream>

#include "control_internal.hpp"
#include "gb/control/dataflow.hpp"
#include "gb/control/functional.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::control {

namespace {

using graph::Node;
using graph::NodeId;
using graph::ValueId;
using Tag = std::vector<std::pair<std::string, std::int64_t>>;  // (frame, iteration), outermost first

std::string tag_str(const Tag& tag) {
  if (tag.empty()) return "root";
  std::string s;
  for (const auto& [frame, iteration] : tag) s += (s.empty() ? "" : " / ") + frame + ":" + std::to_string(iteration);
  return s;
}

std::string token_str(const Token& token) {
  if (token.dead) return "dead";
  if (!token.value.defined()) return "?";
  if (token.value.numel() == 1) {
    std::ostringstream out;
    out << std::setprecision(6) << token.value.item();
    return out.str();
  }
  return std::string(dtype_name(token.value.dtype())) + shape_str(token.value.shape());
}

Tag parent_of(const Tag& tag) { return Tag(tag.begin(), tag.end() - 1); }

class DataflowRun {
 public:
  DataflowRun(const graph::Graph& g, const graph::RunOptions& options) : g_(g), options_(options) {
    fetch_ = options.fetch.empty() ? g.outputs() : options.fetch;
    for (const Node& node : g.nodes()) {
      if (node.op == "NextIteration") {
        const NodeId merge = node.attr_int("merge");
        if (merge < 0 || merge >= static_cast<NodeId>(g.size()) || g.node(merge).op != "Merge") {
          throw Error("run_dataflow", "a NextIteration whose attr merge names a Merge node",
                      "'" + node.name + "' naming node " + std::to_string(merge));
        }
        next_iterations_[merge].push_back(node.id);
      }
    }
    mark_needed();
    consumers_.resize(g.values().size());
    for (const Node& node : g.nodes()) {
      if (!needed_[static_cast<std::size_t>(node.id)]) continue;
      for (std::size_t slot = 0; slot < node.inputs.size(); ++slot) {
        consumers_[static_cast<std::size_t>(node.inputs[slot])].push_back({node.id, slot});
      }
    }
  }

  graph::RunResult run(const graph::Feeds& feeds) {
    recorder_ = trace::active();
    if (recorder_) record_start();
    // The sources: fed placeholders and constants, in the root frame.
    for (const Node& node : g_.nodes()) {
      if (!needed_[static_cast<std::size_t>(node.id)]) continue;
      if (node.op == "placeholder") {
        deliver(node.outputs.at(0), {}, Token{fed(node, feeds), false});
      } else if (node.op == "constant") {
        deliver(node.outputs.at(0), {}, Token{node.attr_tensor("value"), false});
      }
    }
    while (!ready_.empty()) {
      const auto [node, tag] = ready_.front();
      ready_.pop_front();
      fire(g_.node(node), tag);
    }
    for (ValueId v : fetch_) {
      auto it = root_.find(v);
      if (it == root_.end()) {
        throw Error("run_dataflow", "a token for every fetched value",
                    "none for v" + std::to_string(v) + " (its producer never fired: a missing input or a deadlock)");
      }
      if (it->second.dead) throw Error("run_dataflow", "a live fetched value", "a dead token for v" + std::to_string(v));
      result_.outputs.push_back(it->second.value);
    }
    if (options_.keep_values) {
      for (const auto& [v, token] : root_) {
        if (!token.dead) result_.values[v] = token.value;
      }
    }
    return std::move(result_);
  }

 private:
  struct Pending {
    std::vector<std::optional<Token>> slots;
    bool queued = false;
  };
  struct FrameInstance {  // one execution of a loop: its frame name under a parent tag
    bool dead = false;    // entered with dead tokens (the loop sits in an untaken branch)
    std::set<std::int64_t> started;
    std::vector<std::pair<ValueId, Token>> constants;  // tokens of its constant Enters
  };
  using FrameKey = std::pair<Tag, std::string>;

  bool is_loop_merge(const Node& node) const { return node.op == "Merge" && node.has_attr("frame"); }

  // The nodes the fetched values depend on, following back edges (a loop Merge needs its NextIteration).
  void mark_needed() {
    needed_.assign(g_.size(), false);
    std::vector<NodeId> stack;
    for (ValueId v : fetch_) stack.push_back(g_.value(v).producer);
    while (!stack.empty()) {
      const NodeId id = stack.back();
      stack.pop_back();
      if (needed_[static_cast<std::size_t>(id)]) continue;
      needed_[static_cast<std::size_t>(id)] = true;
      for (ValueId v : g_.node(id).inputs) stack.push_back(g_.value(v).producer);
      auto it = next_iterations_.find(id);
      if (it != next_iterations_.end()) stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
  }

  Tensor fed(const Node& node, const graph::Feeds& feeds) const {
    const std::string& name = node.attr_string("name");
    auto it = feeds.find(name);
    if (it == feeds.end()) throw Error("run_dataflow", "a feed for placeholder '" + name + "'", "none");
    const graph::ValueInfo& info = g_.value(node.outputs.at(0)).info;
    if (!it->second.defined() || !detail::compatible(info, {it->second.dtype(), it->second.shape()})) {
      throw Error("run_dataflow", "a feed " + graph::info_str(info) + " for placeholder '" + name + "'",
                  it->second.defined() ? std::string(dtype_name(it->second.dtype())) + shape_str(it->second.shape())
                                       : "an undefined tensor");
    }
    return it->second;
  }

  Pending& pending(NodeId id, const Tag& tag) {
    auto [it, inserted] = pending_.try_emplace({id, tag});
    if (inserted) {
      const Node& node = g_.node(id);
      it->second.slots.resize(node.inputs.size() + (is_loop_merge(node) ? 1 : 0));
    }
    return it->second;
  }

  // Sends a token along value v: to every needed consumer, at the same tag.
  void deliver(ValueId v, const Tag& tag, const Token& token) {
    if (tag.empty()) root_[v] = token;
    if (!tag.empty()) start_iteration(tag);
    for (const auto& [node, slot] : consumers_[static_cast<std::size_t>(v)]) fill(node, slot, tag, token);
  }

  void fill(NodeId id, std::size_t slot, const Tag& tag, const Token& token) {
    if (fired_.count({id, tag})) return;  // a Merge that already fired ignores later inputs
    Pending& p = pending(id, tag);
    p.slots.at(slot) = token;
    if (p.queued) return;
    const Node& node = g_.node(id);
    bool ready = true;
    if (node.op == "Merge") {
      ready = false;
      bool all = true;
      for (const auto& s : p.slots) {
        if (s && !s->dead) ready = true;
        if (!s) all = false;
      }
      ready = ready || all || is_loop_merge(node);  // a loop Merge gets one input per iteration
    } else {
      for (const auto& s : p.slots) ready = ready && s.has_value();
    }
    if (ready) {
      p.queued = true;
      ready_.push_back({id, tag});
    }
  }

  // The first token of an iteration: the frame's loop invariants join it.
  void start_iteration(const Tag& tag) {
    FrameInstance& frame = frames_[{parent_of(tag), tag.back().first}];
    if (!frame.started.insert(tag.back().second).second) return;
    for (const auto& [v, token] : frame.constants) {
      for (const auto& [node, slot] : consumers_[static_cast<std::size_t>(v)]) fill(node, slot, tag, token);
    }
  }

  void fire(const Node& node, const Tag& tag) {
    auto it = pending_.find({node.id, tag});
    std::vector<std::optional<Token>> slots = std::move(it->second.slots);
    pending_.erase(it);
    if (node.op == "Merge") fired_.insert({node.id, tag});
    result_.order.push_back(node.id);
    std::vector<Token> outs;
    std::string note;
    if (node.op == "Switch" || node.op == "Merge") {
      if (is_loop_merge(node)) {
        for (auto& s : slots) {
          if (!s) s = Token{Tensor(), true};  // the input that does not come in this iteration
        }
      }
      outs = fire_switch_or_merge(node, slots);
      if (node.op == "Switch" && !outs.at(0).dead) note = " (to the false side)";
      if (node.op == "Switch" && !outs.at(1).dead) note = " (to the true side)";
    } else if (node.op == "Enter") {
      fire_enter(node, tag, *slots[0]);
      return;
    } else if (node.op == "Exit") {
      fire_exit(node, tag, *slots[0]);
      return;
    } else if (node.op == "NextIteration") {
      fire_next_iteration(node, tag, *slots[0]);
      return;
    } else {
      bool dead = false;
      std::vector<Tensor> inputs;
      for (const auto& s : slots) {
        dead = dead || s->dead;
        inputs.push_back(s->value);
      }
      if (dead) {
        outs.assign(node.outputs.size(), Token{Tensor(), true});
      } else {
        const std::vector<Tensor> values = graph::find_op(node.op).kernel(graph::KernelContext{node, inputs});
        for (const Tensor& value : values) outs.push_back(Token{value, false});
      }
    }
    if (outs.size() != node.outputs.size()) {
      throw Error(node.op, std::to_string(node.outputs.size()) + " outputs", std::to_string(outs.size()));
    }
    record(node, tag, outs, note);
    for (std::size_t k = 0; k < outs.size(); ++k) deliver(node.outputs[k], tag, outs[k]);
  }

  void fire_enter(const Node& node, const Tag& tag, const Token& token) {
    const std::string& frame_name = node.attr_string("frame");
    FrameInstance& frame = frames_[{tag, frame_name}];
    frame.dead = frame.dead || token.dead;
    Tag inner = tag;
    inner.push_back({frame_name, 0});
    if (node.has_attr("is_constant") && node.attr_int("is_constant") != 0) {
      // A loop invariant: the same token for every iteration, started or still to come.
      const ValueId v = node.outputs.at(0);
      frame.constants.push_back({v, token});
      record(node, tag, {token}, " (a loop invariant, for every iteration)");
      const std::set<std::int64_t> started = frame.started;
      for (std::int64_t k : started) {
        inner.back().second = k;
        for (const auto& [consumer, slot] : consumers_[static_cast<std::size_t>(v)]) fill(consumer, slot, inner, token);
      }
      return;
    }
    record(node, inner, {token}, "");
    deliver(node.outputs.at(0), inner, token);
  }

  void fire_exit(const Node& node, const Tag& tag, const Token& token) {
    if (tag.empty() || tag.back().first != node.attr_string("frame")) {
      throw Error("Exit", "a token of frame '" + node.attr_string("frame") + "'", "one of " + tag_str(tag));
    }
    const Tag parent = parent_of(tag);
    if (token.dead && !frames_[{parent, tag.back().first}].dead) {
      record(node, tag, {token}, " (dropped: the loop goes on)");
      return;
    }
    record(node, parent, {token}, " (leaves the loop)");
    deliver(node.outputs.at(0), parent, token);
  }

  void fire_next_iteration(const Node& node, const Tag& tag, const Token& token) {
    if (tag.empty() || tag.back().first != node.attr_string("frame")) {
      throw Error("NextIteration", "a token of frame '" + node.attr_string("frame") + "'", "one of " + tag_str(tag));
    }
    if (token.dead) {
      record(node, tag, {token}, " (dropped: the loop is over)");
      return;
    }
    Tag next = tag;
    next.back().second += 1;
    const std::int64_t max_iterations = node.attr_int("max_iterations");
    if (next.back().second > max_iterations) {
      throw Error("While", "at most " + std::to_string(max_iterations) + " iterations in loop '" +
                               node.attr_string("loop") + "'",
                  "a condition still true after " + std::to_string(max_iterations) + " iterations");
    }
    record(node, next, {token}, "");
    start_iteration(next);
    fill(node.attr_int("merge"), 1, next, token);
  }

  // --- recording ---------------------------------------------------------------------------------
  std::string scene_id() const { return options_.scene_prefix + "dataflow"; }
  std::string table_id() const { return options_.scene_prefix + "tokens"; }

  void record_start() {
    trace::Scene scene = trace::graph_scene(scene_id(), "Dataflow graph (Switch, Merge, Enter, Exit, NextIteration)");
    std::set<std::string> groups;
    for (const Node& node : g_.nodes()) {
      trace::GraphNode gn;
      gn.id = "n" + std::to_string(node.id);
      gn.label = node.name.empty() ? node.op : node.name;
      gn.op = node.op == "placeholder" ? "" : node.op;
      gn.group = node.group;
      if (!node.outputs.empty()) {
        const graph::ValueInfo& info = g_.value(node.outputs[0]).info;
        gn.shape = shape_str(info.shape);
        gn.dtype = dtype_name(info.dtype);
      }
      gn.state = needed_[static_cast<std::size_t>(node.id)] ? trace::NodeState::pending : trace::NodeState::none;
      if (!node.group.empty()) groups.insert(node.group);
      scene.graph.nodes.push_back(gn);
      for (std::size_t slot = 0; slot < node.inputs.size(); ++slot) {
        const graph::Value& v = g_.value(node.inputs[slot]);
        scene.graph.edges.push_back({"v" + std::to_string(v.id) + "->n" + std::to_string(node.id) + ":" + std::to_string(slot),
                                     "n" + std::to_string(v.producer), "n" + std::to_string(node.id), v.name});
      }
      if (node.op == "NextIteration") {
        const std::string merge = "n" + std::to_string(node.attr_int("merge"));
        scene.graph.edges.push_back({"n" + std::to_string(node.id) + "->" + merge + ":back",
                                     "n" + std::to_string(node.id), merge, "next iteration"});
      }
    }
    for (const std::string& group : groups) scene.graph.groups.push_back({group, group});
    recorder_->add_scene(scene);
    recorder_->add_scene(trace::table_scene(table_id(), "Tokens (frame, iteration, value or dead)",
                                            {"event", "node", "op", "frame", "iteration", "token"}));
  }

  void record(const Node& node, const Tag& tag, const std::vector<Token>& outs, const std::string& note) {
    if (!recorder_) return;
    std::string tokens;
    for (const Token& t : outs) tokens += (tokens.empty() ? "" : ", ") + token_str(t);
    const std::string frame = tag.empty() ? "root" : tag.back().first;
    const std::string iteration = tag.empty() ? "0" : std::to_string(tag.back().second);
    const std::string caption = node.op + " '" + node.name + "' fired in frame " + frame + ", iteration " + iteration +
                                ": " + tokens + note + ".";
    const std::string id = "n" + std::to_string(node.id);
    recorder_->step(caption, trace::Level::op)
        .highlight(scene_id(), id)
        .node_state(scene_id(), id, trace::NodeState::done)
        .set_value(scene_id(), id, tokens)
        .add_row(table_id(), {std::to_string(++events_), node.name, node.op, tag_str(tag), iteration, tokens});
  }

  const graph::Graph& g_;
  graph::RunOptions options_;
  std::vector<ValueId> fetch_;
  std::map<NodeId, std::vector<NodeId>> next_iterations_;  // loop Merge -> its NextIteration nodes
  std::vector<bool> needed_;
  std::vector<std::vector<std::pair<NodeId, std::size_t>>> consumers_;  // per value: (node, slot)
  std::map<std::pair<NodeId, Tag>, Pending> pending_;
  std::set<std::pair<NodeId, Tag>> fired_;  // Merges that fired (later inputs are ignored)
  std::deque<std::pair<NodeId, Tag>> ready_;
  std::map<FrameKey, FrameInstance> frames_;
  std::map<ValueId, Token> root_;
  graph::RunResult result_;
  trace::Recorder* recorder_ = nullptr;
  std::int64_t events_ = 0;
};

}  // namespace

graph::RunResult run_dataflow(const graph::Graph& lowered, const graph::Feeds& feeds, const graph::RunOptions& options) {
  register_ops();
  for (const Node& node : lowered.nodes()) {
    if (node.op == "If" || node.op == "While" || node.op == "WhileGrad") {
      throw Error("run_dataflow", "a lowered graph (lower_to_dataflow)", "a " + node.op + " node '" + node.name + "'");
    }
  }
  for (ValueId v : options.fetch) lowered.value(v);  // unknown ids: gb::Error
  DataflowRun run(lowered, options);
  return run.run(feeds);
}

}  // namespace gb::control
