// ddp_record.cpp: a simulated DDP step as bucket times and a Timeline (see ddp_record.hpp).
#include "gb/parallel/ddp_record.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "gb/core/error.hpp"

namespace gb::parallel {

namespace {

std::string lane(int device) { return "device " + std::to_string(device); }
std::string span_id(int task) { return "t" + std::to_string(task); }

void check_ran(const Simulator& sim, const DdpStep& step, const std::string& operation) {
  if (static_cast<int>(step.execution.tasks.size()) != sim.task_count() ||
      step.all_reduces.size() != step.buckets.size() || step.bucket_tasks.size() != step.buckets.size())
    throw Error(operation, "a DdpStep together with the simulator that ran it",
                std::to_string(step.execution.tasks.size()) + " executed tasks for " + std::to_string(sim.task_count()) +
                    " tasks in the simulator");
}

// The first messages of a collective: those that wait for nothing inside it, only for the tasks the
// collective was issued after (in DDP: the backward tasks of the bucket's parameters).
std::vector<int> first_tasks(const Simulator& sim, const Issued& issued) {
  const std::set<int> own(issued.tasks.begin(), issued.tasks.end());
  std::vector<int> first;
  for (int id : issued.tasks) {
    const std::vector<int>& after = sim.task(id).after;
    if (std::none_of(after.begin(), after.end(), [&](int a) { return own.count(a) > 0; })) first.push_back(id);
  }
  return first;
}

}  // namespace

std::vector<BucketTimes> bucket_times(const Simulator& sim, const DdpStep& step) {
  check_ran(sim, step, "bucket_times");
  const std::vector<ExecutedTask>& executed = step.execution.tasks;
  std::vector<BucketTimes> times;
  for (std::size_t b = 0; b < step.buckets.size(); ++b) {
    const Issued& issued = step.all_reduces[b];
    BucketTimes t;
    t.start = step.execution.makespan;
    for (int id : issued.tasks) t.start = std::min(t.start, executed.at(id).start);
    for (int id : first_tasks(sim, issued))
      for (int a : sim.task(id).after) t.ready = std::max(t.ready, executed.at(a).end);
    t.end = executed.at(step.bucket_tasks[b]).end;
    times.push_back(t);
  }
  return times;
}

trace::StepBuilder record_ddp_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                       const Simulator& sim, const DdpStep& step, const std::string& caption) {
  check_ran(sim, step, "record_ddp_timeline");
  std::map<int, int> bucket_of;  // message task -> bucket
  for (std::size_t b = 0; b < step.all_reduces.size(); ++b)
    for (int id : step.all_reduces[b].tasks) bucket_of[id] = static_cast<int>(b);

  std::set<int> devices;
  for (int id = 0; id < sim.task_count(); ++id) devices.insert(sim.task(id).device);
  std::vector<trace::Lane> lanes;
  for (int d : devices) lanes.push_back({lane(d), "device " + std::to_string(d)});
  rec.add_scene(trace::timeline_scene(scene_id, title, lanes));

  trace::StepBuilder builder = rec.step(caption, trace::Level::op);
  for (int id = 0; id < sim.task_count(); ++id) {
    const Task& t = sim.task(id);
    const ExecutedTask& e = step.execution.tasks.at(id);
    if (e.end <= e.start) continue;  // bookkeeping: a collective's "done" marker
    const auto bucket = bucket_of.find(id);
    const std::string name = bucket == bucket_of.end() ? t.name : "bucket " + std::to_string(bucket->second) + ": " + t.name;
    builder.add_span(scene_id, {span_id(id), lane(t.device), name, task_kind_name(t.kind), e.start * 1e6, (e.end - e.start) * 1e6});
  }
  // The ready hooks: each backward task to the first message of its bucket on the same device.
  for (const Issued& issued : step.all_reduces)
    for (int message : first_tasks(sim, issued)) {
      const ExecutedTask& m = step.execution.tasks.at(message);
      if (m.end <= m.start) continue;  // not drawn
      for (int a : sim.task(message).after) {
        const Task& waited = sim.task(a);
        const ExecutedTask& w = step.execution.tasks.at(a);
        if (waited.kind == TaskKind::backward && waited.device == sim.task(message).device && w.end > w.start)
          builder.add_flow(scene_id, {span_id(a) + "->" + span_id(message), span_id(a), span_id(message)});
      }
    }
  return builder;
}

}  // namespace gb::parallel
