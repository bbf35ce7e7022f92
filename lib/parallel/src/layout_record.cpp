// layout_record.cpp: lesson 15's recordings (layout_record.hpp).
#include "gb/parallel/layout_record.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "record_text.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::parallel {

namespace {

using detail::num;

std::string devices_text(const std::vector<int>& group) {
  std::string s = "{";
  for (std::size_t i = 0; i < group.size(); ++i) s += (i ? " " : "") + std::to_string(group[i]);
  return s + "}";
}

std::vector<std::int64_t> all_cells(std::int64_t n) {
  std::vector<std::int64_t> cells;
  for (std::int64_t i = 0; i < n; ++i) cells.push_back(i);
  return cells;
}

}  // namespace

void record_mesh(trace::Recorder& rec, const std::string& scene_id, const Mesh& mesh, int devices_per_node) {
  const std::int64_t rows = static_cast<std::int64_t>(mesh.dp()) * mesh.pp(), cols = mesh.tp();
  // Row (pp, dp) = pp x dp_size + dp; device ids fill it tp-fastest, exactly Megatron's order.
  Tensor ids = Tensor::zeros({rows, cols}, DType::f64);
  for (int d = 0; d < mesh.size(); ++d) {
    const MeshCoord c = mesh.coord(d);
    ids.set({static_cast<std::int64_t>(c.pp) * mesh.dp() + c.dp, c.tp}, d);
  }
  rec.add_scene(trace::tensor_scene(scene_id, mesh.describe() + ": device ids (rows: pp stage x dp rank, columns: tp rank)", ids));
  struct Kind {
    const char* name;
    std::vector<std::vector<int>> groups;
  };
  const Kind kinds[] = {{"tp", mesh.tp_groups()}, {"dp", mesh.dp_groups()}, {"pp", mesh.pp_groups()}};
  for (const Kind& kind : kinds) {
    const std::string id = scene_id + "_" + kind.name;
    rec.add_scene(trace::tensor_scene(id, std::string(kind.name) + " groups: each device's group number", Tensor::zeros({rows, cols}, DType::f64)));
    std::vector<double> values(static_cast<std::size_t>(rows * cols));
    std::string listed;
    for (std::size_t g = 0; g < kind.groups.size(); ++g) {
      for (int d : kind.groups[g]) {
        const MeshCoord c = mesh.coord(d);
        values[static_cast<std::size_t>((static_cast<std::int64_t>(c.pp) * mesh.dp() + c.dp) * cols + c.tp)] = static_cast<double>(g);
      }
      if (g < 4) listed += (g ? ", " : "") + devices_text(kind.groups[g]);
    }
    if (kind.groups.size() > 4) listed += ", ...";
    std::string caption = std::to_string(kind.groups.size()) + " " + kind.name + " groups of " +
                          std::to_string(kind.groups[0].size()) + ": " + listed;
    if (std::string(kind.name) == "tp") {
      caption += mesh.tp_within_nodes(devices_per_node) ? ", each inside one node of " : ", NOT inside one node of ";
      caption += std::to_string(devices_per_node) + " devices";
    }
    rec.step(caption + ".", trace::Level::op).write_cells(id, all_cells(rows * cols), values);
  }
}

Tensor layout_owners(const Layout& layout) {
  check_layout(layout, "layout_owners");
  if (layout.shape.size() != 2) throw Error("layout_owners", "a 2-D layout", shape_str(layout.shape));
  Tensor owners = Tensor::zeros(layout.shape, DType::f64);
  for (int d = device_count(layout); d-- > 0;) {  // downward, so the lowest device writes last
    const std::vector<std::int64_t> coords = device_coordinates(layout.device_matrix, d);
    bool addend = false;
    for (int axis : layout.partial) addend = addend || coords[coords.size() - 1 - static_cast<std::size_t>(axis)] != 0;
    if (addend) continue;
    const std::vector<SliceRange> r = shard_of(layout, d);
    for (std::int64_t i = r[0].begin; i < r[0].end; ++i)
      for (std::int64_t j = r[1].begin; j < r[1].end; ++j) owners.set({i, j}, d);
  }
  return owners;
}

void record_layout_diff(trace::Recorder& rec, const std::string& scene_id, const RedistributionPlan& plan,
                        const RedistributionCost& cost) {
  const Tensor before = layout_owners(plan.from);
  rec.add_scene(trace::tensor_scene(scene_id + "_before", "Before: " + describe(plan.from) + " (lowest device holding each element)", before));
  rec.add_scene(trace::tensor_scene(scene_id + "_after", "After: " + describe(plan.to) + " (lowest device holding each element)", before));
  if (plan.steps.empty()) {
    rec.step("The layouts are equal: no collective is inserted.", trace::Level::op);
    return;
  }
  for (std::size_t s = 0; s < plan.steps.size(); ++s) {
    const RedistributionStep& step = plan.steps[s];
    const Tensor owners = layout_owners(step.after);
    rec.step("Insert " + step.describe() + ": " + num(cost.step_seconds[s] * 1e6) + " us, " +
                 std::to_string(cost.step_bytes_sent[s]) + " bytes sent per device, giving " + describe(step.after) + ".",
             trace::Level::op)
        .write_cells(scene_id + "_after", all_cells(owners.numel()), owners.to_vector());
  }
}

void record_redistribution_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                    const RedistributionPlan& plan, const RedistributionCost& cost) {
  std::vector<trace::Lane> lanes;
  for (int d = 0; d < device_count(plan.from); ++d) lanes.push_back({"device" + std::to_string(d), "device " + std::to_string(d)});
  trace::Scene scene = trace::timeline_scene(scene_id, title, lanes);
  scene.timeline.unit = "us";
  rec.add_scene(scene);
  for (std::size_t s = 0; s < plan.steps.size(); ++s) {
    const RedistributionStep& step = plan.steps[s];
    trace::StepBuilder b = rec.step("Step " + std::to_string(s + 1) + ", " + step.describe() + ", takes " +
                                        num(cost.step_seconds[s] * 1e6) + " us.",
                                    trace::Level::op);
    int k = 0;
    for (const RedistributionMessage& m : cost.messages) {
      if (m.step != static_cast<int>(s)) continue;
      trace::Span span;
      span.id = "s" + std::to_string(s) + ".m" + std::to_string(k++);
      span.lane = "device" + std::to_string(m.from);
      span.name = std::string(redistribution_kind_name(step.kind)) + " -> " + std::to_string(m.to) + " (" + std::to_string(m.bytes) + " B)";
      span.category = redistribution_kind_name(step.kind);
      span.start = m.start * 1e6;
      span.duration = (m.end - m.start) * 1e6;
      b.add_span(scene_id, span);
    }
  }
}

void record_strategy_table(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                           const StrategyProblem& problem, const StrategyChoice& choice) {
  rec.add_scene(trace::table_scene(scene_id, title,
                                   {"layer", "strategy", "compute (us)", "own collective (us)", "memory (MiB)",
                                    "redistribution in (us)", "best chain to here (us)", "after", "kept"}));
  const double mib = 1 << 20;
  for (std::size_t i = 0; i < problem.layers.size(); ++i) {
    trace::StepBuilder b = rec.step("Layer " + std::to_string(i) + " (" + std::to_string(problem.layers[i].in_features) + " x " +
                                        std::to_string(problem.layers[i].out_features) +
                                        "): the best chain ending in each of its strategies, within the memory limit.",
                                    trace::Level::op);
    for (const StrategyCell& cell : choice.table) {
      if (cell.layer != static_cast<int>(i)) continue;
      const std::string previous = cell.previous < 0 ? "-" : layer_strategy_name(problem.candidates[static_cast<std::size_t>(cell.previous)]);
      if (!cell.feasible) {
        b.add_row(scene_id, {std::to_string(i), layer_strategy_name(cell.strategy), "-", "-", "-", "-", "does not fit", "-", "0"});
        continue;
      }
      b.add_row(scene_id, {std::to_string(i), layer_strategy_name(cell.strategy), num(cell.cost.compute_seconds * 1e6),
                           num(cell.cost.collective_seconds * 1e6), num(static_cast<double>(cell.cost.memory_bytes()) / mib),
                           num(cell.edge_seconds * 1e6), num(cell.best_seconds * 1e6), previous, std::to_string(cell.front_size)});
    }
  }
  std::string chosen;
  for (std::size_t i = 0; i < choice.strategies.size(); ++i) chosen += (i ? ", " : "") + std::string(layer_strategy_name(choice.strategies[i]));
  rec.step("The search picks " + chosen + ": " + num(choice.seconds * 1e6) + " us per step, " +
               num(static_cast<double>(choice.memory_bytes) / mib) + " MiB per device.",
           trace::Level::op)
      .add_row(scene_id, {"all", chosen, "", "", num(static_cast<double>(choice.memory_bytes) / mib), "", num(choice.seconds * 1e6), "", ""});
}

}  // namespace gb::parallel
