// redistribute.cpp: planning a redistribution (redistribute.hpp) and timing it on the simulator with
// the timed collectives. The real application on values is in redistribute_apply.cpp.
#include "gb/parallel/redistribute.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::parallel {

const char* redistribution_kind_name(RedistributionKind kind) {
  switch (kind) {
    case RedistributionKind::split: return "split";
    case RedistributionKind::all_gather: return "all-gather";
    case RedistributionKind::all_to_all: return "all-to-all";
    case RedistributionKind::all_reduce: return "all-reduce";
    case RedistributionKind::reduce_scatter: return "reduce-scatter";
    case RedistributionKind::make_partial: return "make partial";
  }
  return "?";
}

std::string RedistributionStep::describe() const {
  std::string s = redistribution_kind_name(kind);
  if (kind == RedistributionKind::all_to_all) s += " dim " + std::to_string(from_dim) + " -> " + std::to_string(to_dim);
  else if (from_dim >= 0) s += " dim " + std::to_string(from_dim);
  else if (to_dim >= 0) s += " dim " + std::to_string(to_dim);
  const std::size_t n = groups.empty() ? 0 : groups[0].size();
  return s + " along axis " + std::to_string(axis) + " (" + std::to_string(groups.size()) + " groups of " + std::to_string(n) + ")";
}

namespace {

int dim_split_by(const Layout& l, int axis) {  // the dim `axis` splits, or -1
  for (std::size_t d = 0; d < l.tensor_map.size(); ++d)
    if (l.tensor_map[d] == axis) return static_cast<int>(d);
  return -1;
}

bool is_partial(const Layout& l, int axis) { return std::find(l.partial.begin(), l.partial.end(), axis) != l.partial.end(); }

std::int64_t local_bytes(const Layout& l, std::int64_t element_bytes) {
  std::int64_t n = element_bytes;
  for (std::int64_t s : local_shape(l)) n *= s;
  return n;
}

// Appends one step that turns `current` into `next` along `axis`, and moves `current` on.
void add_step(RedistributionPlan& plan, Layout& current, RedistributionKind kind, int axis, int from_dim, int to_dim) {
  Layout next = current;
  if (from_dim >= 0) next.tensor_map[static_cast<std::size_t>(from_dim)] = -1;
  if (to_dim >= 0) next.tensor_map[static_cast<std::size_t>(to_dim)] = axis;
  if (kind == RedistributionKind::all_reduce || kind == RedistributionKind::reduce_scatter) {
    next.partial.erase(std::find(next.partial.begin(), next.partial.end(), axis));
  }
  if (kind == RedistributionKind::make_partial) next.partial.push_back(axis);
  RedistributionStep step;
  step.kind = kind;
  step.axis = axis;
  step.from_dim = from_dim;
  step.to_dim = to_dim;
  step.groups = axis_groups(current, axis);
  step.bytes = local_bytes(current, plan.element_bytes);
  step.before = current;
  step.after = next;
  plan.steps.push_back(std::move(step));
  current = std::move(next);
}

}  // namespace

RedistributionPlan plan_redistribution(const Layout& from, const Layout& to, std::int64_t element_bytes) {
  check_layout(from, "plan_redistribution (from)");
  check_layout(to, "plan_redistribution (to)");
  if (from.device_matrix != to.device_matrix || from.shape != to.shape) {
    throw Error("plan_redistribution", "two layouts of one device matrix and one shape", describe(from) + " and " + describe(to));
  }
  if (element_bytes < 1) throw Error("plan_redistribution", "element_bytes >= 1", std::to_string(element_bytes));
  RedistributionPlan plan{from, to, element_bytes, {}};
  Layout current = from;
  const int axes = static_cast<int>(from.device_matrix.size());

  // 1. Partial sums that the target does not keep: reduce-scatter straight into the target's split
  //    when its dim is still whole, else all-reduce.
  for (int axis : from.partial) {
    if (is_partial(to, axis)) continue;
    const int d = dim_split_by(to, axis);
    if (d >= 0 && current.tensor_map[static_cast<std::size_t>(d)] == -1) add_step(plan, current, RedistributionKind::reduce_scatter, axis, -1, d);
    else add_step(plan, current, RedistributionKind::all_reduce, axis, -1, -1);
  }
  // 2. Splits in the wrong place: move each by an all-to-all when its target dim is free; when none
  //    can move (say two axes swap their dims), all-gather one and try again.
  for (;;) {
    std::vector<int> wrong;
    for (int axis = 0; axis < axes; ++axis) {
      const int d = dim_split_by(current, axis);
      if (d >= 0 && to.tensor_map[static_cast<std::size_t>(d)] != axis) wrong.push_back(axis);
    }
    if (wrong.empty()) break;
    bool moved = false;
    for (int axis : wrong) {
      const int e = dim_split_by(to, axis);
      if (e >= 0 && current.tensor_map[static_cast<std::size_t>(e)] == -1) {
        add_step(plan, current, RedistributionKind::all_to_all, axis, dim_split_by(current, axis), e);
        moved = true;
        break;
      }
    }
    if (!moved) add_step(plan, current, RedistributionKind::all_gather, wrong[0], dim_split_by(current, wrong[0]), -1);
  }
  // 3. Splits the target has and the tensor does not yet: free local slices.
  for (std::size_t d = 0; d < to.tensor_map.size(); ++d) {
    const int axis = to.tensor_map[d];
    if (axis >= 0 && current.tensor_map[d] == -1) add_step(plan, current, RedistributionKind::split, axis, -1, static_cast<int>(d));
  }
  // 4. Partial sums the target wants (rare: an operator that accumulates into its output).
  for (int axis : to.partial)
    if (!is_partial(current, axis)) add_step(plan, current, RedistributionKind::make_partial, axis, -1, -1);
  return plan;
}

Issued timed_all_to_all(Simulator& sim, const std::vector<int>& group, std::int64_t bytes, const std::vector<int>& after) {
  detail::check_group("timed_all_to_all", sim, group);
  const int n = static_cast<int>(group.size());
  if (bytes < 0 || bytes % n != 0) {
    throw Error("timed_all_to_all", "bytes >= 0 that split into " + std::to_string(n) + " chunks", std::to_string(bytes));
  }
  detail::Messages m(sim, group, "all-to-all", after);
  for (int r = 0; r < n; ++r) m.local(r, {}, {}, "own chunk");
  for (int step = 1; step < n; ++step)
    for (int r = 0; r < n; ++r) m.send(r, (r + step) % n, bytes / n, {}, {}, step, "chunk " + std::to_string((r + step) % n));
  return m.finish(n - 1);
}

namespace {

// Issues one step's collectives (one per group) as timed messages after `after`; returns every
// group's done tasks. Splits and make-partial send nothing. group_of[id]: the group of each task.
std::vector<int> issue_timed_step(Simulator& sim, const RedistributionStep& step, const std::vector<int>& after,
                                  std::vector<const std::vector<int>*>& group_of) {
  std::vector<int> done;
  for (const std::vector<int>& group : step.groups) {
    Issued issued;
    switch (step.kind) {
      case RedistributionKind::all_gather: issued = timed_all_gather(sim, group, step.bytes, after); break;
      case RedistributionKind::all_reduce: issued = timed_all_reduce(sim, group, step.bytes, AllReduceAlgorithm::ring, after); break;
      case RedistributionKind::reduce_scatter: issued = timed_reduce_scatter(sim, group, step.bytes, after); break;
      case RedistributionKind::all_to_all: issued = timed_all_to_all(sim, group, step.bytes, after); break;
      case RedistributionKind::split:
      case RedistributionKind::make_partial: return after;
    }
    group_of.resize(static_cast<std::size_t>(sim.task_count()), nullptr);
    for (int id : issued.tasks) group_of[static_cast<std::size_t>(id)] = &group;
    done.insert(done.end(), issued.done.begin(), issued.done.end());
  }
  return done;
}

}  // namespace

RedistributionCost time_redistribution(const RedistributionPlan& plan, const ClusterSpec& spec) {
  ClusterSpec cluster = spec;
  cluster.devices = device_count(plan.from);
  cluster.memory_bytes = 0;
  Simulator sim{Cluster(cluster)};
  // Each step waits for the whole previous one (a barrier), so the total is the sum of the steps.
  std::vector<int> after, first_task, end_task;
  std::vector<const std::vector<int>*> group_of;
  for (const RedistributionStep& step : plan.steps) {
    first_task.push_back(sim.task_count());
    after = issue_timed_step(sim, step, after, group_of);
    end_task.push_back(sim.task_count());
  }
  const Execution run = sim.run();
  RedistributionCost cost;
  double previous_end = 0;
  for (std::size_t s = 0; s < plan.steps.size(); ++s) {
    double end = previous_end;
    std::vector<std::int64_t> sent(static_cast<std::size_t>(cluster.devices), 0);
    for (int id = first_task[s]; id < end_task[s]; ++id) {
      const Task& task = sim.task(id);
      const ExecutedTask& executed = run.tasks[static_cast<std::size_t>(id)];
      end = std::max(end, executed.end);
      const auto bytes = task.tags.find("bytes");
      if (bytes == task.tags.end()) continue;  // a local copy or a "done" marker
      const auto b = static_cast<std::int64_t>(bytes->second);
      const std::vector<int>& group = *group_of[static_cast<std::size_t>(id)];
      const int to = group[static_cast<std::size_t>(task.tags.at("to"))];
      sent[static_cast<std::size_t>(task.device)] += b;
      cost.messages.push_back({static_cast<int>(s), task.device, to, b, executed.start, executed.end});
    }
    cost.step_seconds.push_back(end - previous_end);
    cost.step_bytes_sent.push_back(*std::max_element(sent.begin(), sent.end()));
    previous_end = end;
  }
  cost.seconds = previous_end;
  return cost;
}

}  // namespace gb::parallel
