// graph_groups.cpp: a Graph scene with some groups collapsed into one node each (see graph_groups.hpp).
#include "graph_groups.hpp"

namespace gb::viewer {

std::string group_node_id(const std::string& group_id) { return "group:" + group_id; }

CollapsedGraph collapse_groups(const trace::GraphScene& graph, const std::set<std::string>& collapsed,
                               const std::set<std::string>& highlighted, std::set<std::string>* lit) {
  CollapsedGraph out;
  std::map<std::string, std::size_t> group_index;  // group node id -> place in out.graph.nodes
  for (const auto& group : graph.groups) {
    if (!collapsed.count(group.id)) out.graph.groups.push_back(group);
  }
  for (const auto& node : graph.nodes) {
    if (node.group.empty() || !collapsed.count(node.group)) {
      out.stands_for[node.id] = node.id;
      out.graph.nodes.push_back(node);
      if (lit && highlighted.count(node.id)) lit->insert(node.id);
      continue;
    }
    const std::string id = group_node_id(node.group);
    out.stands_for[node.id] = id;
    out.members[id].push_back(node.id);
    if (lit && highlighted.count(node.id)) lit->insert(id);
    auto [it, added] = group_index.emplace(id, out.graph.nodes.size());
    if (added) {
      trace::GraphNode box;
      box.id = id;
      box.label = node.group;
      for (const auto& g : graph.groups) {
        if (g.id == node.group && !g.label.empty()) box.label = g.label;
      }
      box.label = "[+] " + box.label;
      box.op = "group";
      out.graph.nodes.push_back(box);
    }
  }
  // A group box shows running when a member runs, pending while any waits, done when all are done.
  std::map<std::string, trace::NodeState> state_of;
  for (const auto& node : graph.nodes) state_of[node.id] = node.state;
  for (auto& node : out.graph.nodes) {
    auto m = out.members.find(node.id);
    if (m == out.members.end()) continue;
    int running = 0, pending = 0, done = 0;
    for (const auto& id : m->second) {
      running += state_of[id] == trace::NodeState::running;
      pending += state_of[id] == trace::NodeState::pending;
      done += state_of[id] == trace::NodeState::done;
    }
    const auto count = static_cast<int>(m->second.size());
    node.state = running ? trace::NodeState::running
                 : done == count ? trace::NodeState::done
                 : (pending || done) ? trace::NodeState::pending
                 : trace::NodeState::none;
  }
  for (auto& node : out.graph.nodes) {
    if (auto m = out.members.find(node.id); m != out.members.end()) node.value = std::to_string(m->second.size()) + " nodes";
  }
  std::map<std::pair<std::string, std::string>, std::size_t> joined;  // (from, to) -> edge across a border
  for (const auto& edge : graph.edges) {
    auto from = out.stands_for.find(edge.from), to = out.stands_for.find(edge.to);
    if (from == out.stands_for.end() || to == out.stands_for.end()) continue;
    if (from->second == to->second) continue;  // inside one collapsed group
    const std::string original_id = edge.id.empty() ? edge.from + "->" + edge.to : edge.id;
    const bool across = from->second != edge.from || to->second != edge.to;
    if (!across) {
      out.graph.edges.push_back(edge);
      out.edge_members[original_id].push_back(original_id);
      if (lit && highlighted.count(edge.id)) lit->insert(edge.id);
      continue;
    }
    auto [it, added] = joined.emplace(std::make_pair(from->second, to->second), out.graph.edges.size());
    const std::string joined_id = "joined:" + from->second + "->" + to->second;
    if (added) out.graph.edges.push_back(trace::GraphEdge{joined_id, from->second, to->second, ""});
    out.edge_members[joined_id].push_back(original_id);
    if (lit && highlighted.count(edge.id)) lit->insert(joined_id);
  }
  return out;
}

}  // namespace gb::viewer
