// names.cpp: the enums of the Recording and their names, as written in JSON and shown by the viewer.
//
// Each enum has one table; both directions read from it, so a name can never drift from its value.
#include <array>
#include <string>
#include <utility>

#include "gb/core/error.hpp"
#include "gb/trace/recording.hpp"

namespace gb::trace {
namespace {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, const char*>, N>;

constexpr NameTable<SceneKind, 6> scene_kinds{{
    {SceneKind::graph, "graph"},
    {SceneKind::tensor, "tensor"},
    {SceneKind::timeline, "timeline"},
    {SceneKind::plot, "plot"},
    {SceneKind::table, "table"},
    {SceneKind::text, "text"},
}};

constexpr NameTable<NodeState, 4> node_states{{
    {NodeState::none, "none"},
    {NodeState::pending, "pending"},
    {NodeState::running, "running"},
    {NodeState::done, "done"},
}};

constexpr NameTable<SeriesKind, 3> series_kinds{{
    {SeriesKind::line, "line"},
    {SeriesKind::scatter, "scatter"},
    {SeriesKind::histogram, "histogram"},
}};

constexpr NameTable<Level, 4> levels{{
    {Level::pass, "pass"},
    {Level::op, "op"},
    {Level::tile, "tile"},
    {Level::element, "element"},
}};

constexpr NameTable<ChangeKind, 15> change_kinds{{
    {ChangeKind::highlight, "highlight"},
    {ChangeKind::node_state, "node_state"},
    {ChangeKind::set_value, "set_value"},
    {ChangeKind::set_gradient, "set_gradient"},
    {ChangeKind::add_node, "add_node"},
    {ChangeKind::add_edge, "add_edge"},
    {ChangeKind::read_cells, "read_cells"},
    {ChangeKind::write_cells, "write_cells"},
    {ChangeKind::add_span, "add_span"},
    {ChangeKind::add_counter, "add_counter"},
    {ChangeKind::add_flow, "add_flow"},
    {ChangeKind::add_point, "add_point"},
    {ChangeKind::set_series, "set_series"},
    {ChangeKind::add_row, "add_row"},
    {ChangeKind::set_cursor, "set_cursor"},
}};

template <class Enum, std::size_t N>
const char* name_of(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";  // only reachable through a cast of an out-of-range integer
}

// `op` names the caller so the message says which kind of name was wrong.
template <class Enum, std::size_t N>
Enum value_of(const NameTable<Enum, N>& table, const std::string& name, const char* op) {
  for (const auto& [v, known] : table)
    if (name == known) return v;
  std::string choices;
  for (const auto& [v, known] : table) choices += (choices.empty() ? "" : ", ") + std::string(known);
  throw Error(op, "one of " + choices, "'" + name + "'");
}

}  // namespace

const char* scene_kind_name(SceneKind kind) { return name_of(scene_kinds, kind); }
SceneKind scene_kind_from_name(const std::string& name) {
  return value_of(scene_kinds, name, "scene_kind_from_name");
}

const char* node_state_name(NodeState state) { return name_of(node_states, state); }
NodeState node_state_from_name(const std::string& name) {
  return value_of(node_states, name, "node_state_from_name");
}

const char* series_kind_name(SeriesKind kind) { return name_of(series_kinds, kind); }
SeriesKind series_kind_from_name(const std::string& name) {
  return value_of(series_kinds, name, "series_kind_from_name");
}

const char* level_name(Level level) { return name_of(levels, level); }
Level level_from_name(const std::string& name) { return value_of(levels, name, "level_from_name"); }

const char* change_kind_name(ChangeKind kind) { return name_of(change_kinds, kind); }
ChangeKind change_kind_from_name(const std::string& name) {
  return value_of(change_kinds, name, "change_kind_from_name");
}

}  // namespace gb::trace
