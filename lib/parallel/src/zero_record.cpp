// zero_record.cpp: a simulated ZeRO step as a Timeline (see zero_record.hpp).
#include "gb/parallel/zero_record.hpp"

#include <set>

namespace gb::parallel {

namespace {
std::string lane(int device) { return "device " + std::to_string(device); }
std::string counter(int device) { return "device " + std::to_string(device) + " memory (MiB)"; }
}  // namespace

trace::StepBuilder record_zero_step(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                    const ZeroStep& step, const std::string& caption) {
  std::set<int> devices;
  for (const Task& t : step.tasks) devices.insert(t.device);
  std::vector<trace::Lane> lanes;
  for (int d : devices) lanes.push_back({lane(d), "device " + std::to_string(d)});
  rec.add_scene(trace::timeline_scene(scene_id, title, lanes));
  trace::StepBuilder builder = rec.step(caption, trace::Level::op);
  for (std::size_t id = 0; id < step.tasks.size(); ++id) {
    const Task& t = step.tasks[id];
    const ExecutedTask& e = step.execution.tasks.at(id);
    if (t.duration <= 0) continue;  // bookkeeping: memory only
    builder.add_span(scene_id, {"t" + std::to_string(id), lane(t.device), t.name, task_kind_name(t.kind), e.start * 1e6,
                                (e.end - e.start) * 1e6});
  }
  for (const MemorySample& m : step.execution.memory_timeline)
    builder.add_counter(scene_id, {counter(m.device), m.time * 1e6, static_cast<double>(m.bytes) / (1 << 20)});
  return builder;
}

}  // namespace gb::parallel
