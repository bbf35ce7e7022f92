// tensor_parallel_record.cpp: lesson 13's drawings (see tensor_parallel_record.hpp).
#include "gb/parallel/tensor_parallel_record.hpp"

#include <cstdio>
#include <algorithm>
#include <map>

#include "gb/trace/tensor_scene.hpp"
#include "record_text.hpp"

namespace gb::parallel {

namespace {

std::string lane(int rank) { return "rank" + std::to_string(rank); }

std::string bytes_text(std::int64_t bytes) {
  char buf[48];
  if (bytes >= (1 << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  return buf;
}

}  // namespace

void record_tp_shards(trace::Recorder& rec, const std::string& scene_id, const std::string& title, const Tensor& weight, TpSplit split,
                      int t) {
  rec.add_scene(trace::tensor_scene(scene_id, title, weight));
  const Tensor first = tp_shard(weight, split, t, 0);  // checks the split
  const std::int64_t rows = first.shape()[0], cols = first.shape()[1];
  for (int r = 0; r < t; ++r) {
    std::vector<std::int64_t> cells;
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) {
        const std::int64_t row = split == TpSplit::row ? r * rows + i : i, col = split == TpSplit::column ? r * cols + j : j;
        cells.push_back(trace::tensor_cell(weight, {row, col}));
      }
    const std::string range = split == TpSplit::column ? "columns " + std::to_string(r * cols) + ".." + std::to_string((r + 1) * cols - 1)
                                                       : "rows " + std::to_string(r * rows) + ".." + std::to_string((r + 1) * rows - 1);
    rec.step("Rank " + std::to_string(r) + " holds " + range + " of " + title + " (" + tp_split_name(split) + " split).", trace::Level::op)
        .read_cells(scene_id, cells);
  }
}

void record_tp_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title, const TpBlockRun& run) {
  const int t = static_cast<int>(run.compute_seconds.size());
  std::vector<trace::Lane> lanes;
  for (int r = 0; r < t; ++r) lanes.push_back({lane(r), "rank " + std::to_string(r) + " (device " + std::to_string(r) + ")"});
  rec.add_scene(trace::timeline_scene(scene_id, title, lanes));
  std::map<int, std::size_t> collective_of;  // task id -> collective
  for (std::size_t c = 0; c < run.collectives.size(); ++c)
    for (int id : run.collectives[c].tasks) collective_of[id] = c;

  auto add_spans = [&](trace::StepBuilder& step, int from, int to) {
    for (int id = from; id < to; ++id) {
      const ExecutedTask& e = run.execution.tasks.at(static_cast<std::size_t>(id));
      if (e.end <= e.start) continue;  // markers and memory bookkeeping
      const auto c = collective_of.find(id);
      const std::string name = c == collective_of.end() ? run.task_names.at(static_cast<std::size_t>(id)) : run.collectives[c->second].name;
      step.add_span(scene_id, {"t" + std::to_string(id), lane(e.device), name, task_kind_name(e.kind), e.start * 1e6, (e.end - e.start) * 1e6});
    }
  };
  int next = 0;
  for (const TpCollective& c : run.collectives) {
    if (c.tasks.empty()) continue;
    const int first = c.tasks.front(), last = c.tasks.back() + 1;
    if (first > next) {
      trace::StepBuilder step = rec.step("Each rank computes on its own shards until the next all-reduce.", trace::Level::tile);
      add_spans(step, next, first);
    }
    std::int64_t most = 0;
    for (std::int64_t b : c.bytes_sent) most = std::max(most, b);
    trace::StepBuilder step = rec.step(c.name + ": each rank sends " + bytes_text(most) + ", 2(t-1)/t times its " + bytes_text(c.buffer_bytes) +
                                           " buffer (lesson 10's ring).",
                                       trace::Level::op);
    add_spans(step, first, last);
    next = last;
  }
  trace::StepBuilder step = rec.step("The forward and backward end after " + detail::num(run.execution.makespan * 1e6) + " us.",
                                     trace::Level::op);
  add_spans(step, next, static_cast<int>(run.execution.tasks.size()));
}

}  // namespace gb::parallel
