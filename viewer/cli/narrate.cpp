// narrate.cpp: `glassbox run LESSON`: the steps of a Recording as lines of text.
#include "narrate.hpp"

#include <cstdio>
#include <ostream>

namespace gb::cli {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

template <class T> std::string join(const std::vector<T>& items, std::size_t limit = 8) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i) out += ", ";
    if constexpr (std::is_same_v<T, std::string>) out += items[i];
    else out += number(static_cast<double>(items[i]));
  }
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

const char* state_name(trace::NodeState s) {
  switch (s) {
    case trace::NodeState::none: return "none";
    case trace::NodeState::pending: return "pending";
    case trace::NodeState::running: return "running";
    case trace::NodeState::done: return "done";
  }
  return "?";
}

}  // namespace

std::string describe_change(const trace::Change& c) {
  using K = trace::ChangeKind;
  const std::string at = c.scene + ": ";
  switch (c.kind) {
    case K::highlight: return at + "lit " + c.target;
    case K::node_state: return at + c.target + " is " + c.text;
    case K::set_value: return at + c.target + " = " + c.text;
    case K::set_gradient: return at + "grad " + c.target + " = " + c.text;
    case K::add_node: return at + "new node " + c.node.id + " (" + state_name(c.node.state) + ")";
    case K::add_edge: return at + "new edge " + c.edge.from + " -> " + c.edge.to;
    case K::read_cells: return at + "read cells [" + join(c.cells) + "]";
    case K::write_cells: return at + "cells [" + join(c.cells) + "] = [" + join(c.values) + "]";
    case K::add_span:
      return at + c.span.lane + " runs '" + c.span.name + "' from " + number(c.span.start) + " for " +
             number(c.span.duration);
    case K::add_counter: return at + c.counter.counter + " = " + number(c.counter.value) + " at " + number(c.counter.time);
    case K::add_flow: return at + "arrow " + c.flow.from_span + " -> " + c.flow.to_span;
    case K::add_point: return at + c.target + " += (" + number(c.x) + ", " + number(c.y) + ")";
    case K::set_series: return at + c.target + " = [" + join(c.values) + "]";
    case K::add_row: return at + "row | " + join(c.row, 16) + " |";
    case K::set_cursor: return at + "line " + std::to_string(c.line);
  }
  return at + "?";
}

void narrate(const trace::Recording& recording, trace::Level finest, std::ostream& out) {
  out << recording.lesson << ": " << recording.title << " (" << recording.steps.size() << " steps)\n";
  std::string section;
  const std::size_t total = recording.steps.size();
  for (std::size_t k = 0; k < total; ++k) {
    const trace::Step& step = recording.steps[k];
    if (static_cast<int>(step.level) > static_cast<int>(finest)) continue;
    if (step.section != section) {
      section = step.section;
      if (!section.empty()) out << "\n## " << section << "\n";
    }
    out << "[" << k + 1 << "/" << total << "] " << trace::level_name(step.level) << ": " << step.caption << "\n";
    for (const trace::Change& change : step.changes) {
      if (change.kind == trace::ChangeKind::highlight) continue;  // shown by the viewer, noise in text
      out << "      " << describe_change(change) << "\n";
    }
  }
}

}  // namespace gb::cli
