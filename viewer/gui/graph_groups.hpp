// graph_groups.hpp: collapsing GraphGroups: a group's nodes replaced by one box node, its edges redirected.
//
// The collapsed graph is an ordinary GraphScene, so the same Graphviz layout and the same drawing code
// serve it; the LayoutCache keys it by its structure, so each set of collapsed groups is laid out once.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gb/trace/recording.hpp"

namespace gb::viewer {

// The node id that stands for a collapsed group ("group:" + the group id).
std::string group_node_id(const std::string& group_id);

struct CollapsedGraph {
  trace::GraphScene graph;                          // groups in `collapsed` are one node each
  std::map<std::string, std::string> stands_for;    // original node id -> the id drawn (itself or the group's)
  std::map<std::string, std::vector<std::string>> members;  // group node id -> the original node ids inside
  std::map<std::string, std::vector<std::string>> edge_members;  // drawn edge id -> original edge ids
};

// Collapses `collapsed` groups of `graph`. A group node takes the most advanced state of its members
// (running > pending > done when all are done), a "N nodes" value badge, and is lit when one of its
// members is; edges inside a group disappear, edges across its border join into one per pair of ends.
CollapsedGraph collapse_groups(const trace::GraphScene& graph, const std::set<std::string>& collapsed,
                               const std::set<std::string>& highlighted, std::set<std::string>* lit);

}  // namespace gb::viewer
