// collectives_record.cpp: the collectives drawn (lesson 10; see collectives_record.hpp).
#include "gb/parallel/collectives_record.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "collectives_internal.hpp"
#include "record_text.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/ring.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::parallel {

namespace {

std::string lane(int rank) { return "rank" + std::to_string(rank); }

std::string us(double seconds) { return detail::num(seconds * 1e6); }

std::string span_id(const detail::RingEvent& e) {
  return std::string(e.phase == RingPhase::reduce_scatter ? "rs" : "ag") + ".s" + std::to_string(e.step) + ".r" +
         std::to_string(e.from);
}

// A message as it arrived: which one, and the receiver's chunk right after it (sum so far, or final).
struct Arrival {
  detail::RingEvent event;
  std::vector<double> values;
};

// "3, 0, 1, 2": the chunk each rank sends at one ring step, rank 0 first.
std::string chunks_sent(const std::vector<Arrival>& step) {
  std::vector<int> by_rank(step.size(), 0);
  for (const Arrival& a : step) by_rank.at(static_cast<std::size_t>(a.event.from)) = a.event.chunk;
  std::string out;
  for (int c : by_rank) out += (out.empty() ? "" : ", ") + std::to_string(c);
  return out;
}

std::string step_caption(RingPhase phase, int step, int n, const std::vector<Arrival>& arrivals, double end) {
  const std::string of = " step " + std::to_string(step + 1) + " of " + std::to_string(n - 1) + ": ";
  const std::string sent = " (chunks " + chunks_sent(arrivals) + " from ranks 0.." + std::to_string(n - 1) + ", all in by t = " +
                           us(end) + " us)";
  if (phase == RingPhase::reduce_scatter) {
    const bool last = step == n - 2;
    return "Reduce-scatter" + of + "rank r sends chunk (r - " + std::to_string(step + 1) +
           ") mod n to rank r + 1, which adds it to its own copy" + sent +
           (last ? "; now rank r holds the complete sum of chunk r." : ".");
  }
  const std::string chunk = step == 0 ? "chunk r, the one it completed," : "the complete chunk (r - " + std::to_string(step) + ") mod n";
  return "All-gather" + of + "rank r passes " + chunk + " to rank r + 1, which overwrites its copy" + sent + ".";
}

}  // namespace

trace::Scene ranks_scene(const std::string& id, const std::string& title, const std::vector<Tensor>& data) {
  if (data.empty()) throw Error("ranks_scene", "one tensor per rank", "no tensors");
  std::vector<double> values;
  for (const Tensor& t : data) {
    if (!t.defined() || t.numel() != data[0].numel()) {
      throw Error("ranks_scene", "tensors of " + std::to_string(data[0].numel()) + " elements on every rank",
                  t.defined() ? std::to_string(t.numel()) + " elements" : std::string("an undefined tensor"));
    }
    const std::vector<double> row = t.to_vector();
    values.insert(values.end(), row.begin(), row.end());
  }
  const auto ranks = static_cast<std::int64_t>(data.size());
  return trace::tensor_scene(id, title, Tensor::from_values(values, {ranks, data[0].numel()}, data[0].dtype()));
}

void write_ranks(trace::StepBuilder& step, const std::string& scene, const std::vector<Tensor>& data) {
  std::vector<std::int64_t> cells;
  std::vector<double> values;
  for (std::size_t r = 0; r < data.size(); ++r) {
    const std::vector<double> row = data[r].to_vector();
    for (std::size_t i = 0; i < row.size(); ++i) {
      cells.push_back(static_cast<std::int64_t>(r * row.size() + i));
      values.push_back(row[i]);
    }
  }
  step.write_cells(scene, cells, values);
}

RingRecord record_ring_all_reduce(trace::Recorder& rec, Simulator& sim, const std::vector<int>& group,
                                  std::vector<Tensor>& data, const std::string& cells_scene,
                                  const std::string& timeline_scene) {
  if (sim.task_count() != 0) {
    throw Error("record_ring_all_reduce", "a simulator with no tasks yet (it runs the clock)",
                std::to_string(sim.task_count()) + " tasks");
  }
  const detail::Buffers buffers = detail::checked_buffers("record_ring_all_reduce", sim, group, data);
  const int n = static_cast<int>(group.size());
  if (n < 2) throw Error("record_ring_all_reduce", "a ring of at least 2 ranks", std::to_string(n));
  const std::int64_t numel = buffers.numel;

  rec.add_scene(ranks_scene(cells_scene, "Each rank's buffer, one row per rank, cut into " + std::to_string(n) + " chunks",
                            data));
  std::vector<trace::Lane> lanes;
  for (int r = 0; r < n; ++r) {
    lanes.push_back({lane(r), "rank " + std::to_string(r) + " (device " + std::to_string(group[static_cast<std::size_t>(r)]) + ")"});
  }
  rec.add_scene(trace::timeline_scene(timeline_scene, "The ring's messages, on the sender's lane (us)", lanes));

  // The observer runs inside each message's action, right after the values moved: what the receiver
  // holds of that chunk now is the partial sum (reduce-scatter) or the final sum (all-gather).
  std::vector<Arrival> arrivals;
  const detail::RingObserver observe = [&](const detail::RingEvent& e) {
    const ChunkRange range = ring_chunk_range(numel, n, e.chunk);
    const Tensor chunk = buffers.flat[static_cast<std::size_t>(e.to)].slice(0, range.begin, range.begin + range.size);
    arrivals.push_back({e, chunk.to_vector()});
  };

  // The ring all-reduce as all_reduce issues it (collectives.cpp), with the observer attached:
  // reduce-scatter in place, then all-gather starting from the chunk each rank now owns.
  detail::Messages messages(sim, group, "all-reduce (ring)", {});
  const auto reduced = detail::ring_reduce_scatter(messages, buffers, buffers, {}, ReduceOp::sum,
                                                   std::vector<int>(static_cast<std::size_t>(n), -1), observe);
  detail::ring_all_gather(messages, buffers, reduced, observe);
  RingRecord out;
  out.issued = messages.finish(2 * (n - 1));
  const Execution execution = sim.run();
  out.makespan = execution.makespan;
  out.messages = static_cast<int>(arrivals.size());

  // One recording step per ring step: its n messages, in the order of ring.hpp's table.
  std::map<std::pair<int, int>, std::vector<Arrival>> by_step;  // (phase, step) -> its messages
  for (const Arrival& a : arrivals) by_step[{static_cast<int>(a.event.phase), a.event.step}].push_back(a);
  std::map<int, std::string> span_of_task;
  for (RingPhase phase : {RingPhase::reduce_scatter, RingPhase::all_gather}) {
    for (int s = 0; s < n - 1; ++s) {
      const std::vector<Arrival>& step_arrivals = by_step.at({static_cast<int>(phase), s});
      double end = 0;
      for (const Arrival& a : step_arrivals) end = std::max(end, execution.tasks.at(static_cast<std::size_t>(a.event.task)).end);
      trace::StepBuilder step = rec.step(step_caption(phase, s, n, step_arrivals, end), trace::Level::tile);
      for (const Arrival& a : step_arrivals) {
        const ExecutedTask& run = execution.tasks.at(static_cast<std::size_t>(a.event.task));
        const std::string id = span_id(a.event);
        span_of_task[a.event.task] = id;
        step.add_span(timeline_scene, {id, lane(a.event.from),
                                       std::string(phase == RingPhase::reduce_scatter ? "RS" : "AG") + " chunk " + std::to_string(a.event.chunk),
                                       task_kind_name(TaskKind::communication), run.start * 1e6, (run.end - run.start) * 1e6});
        // The message waited for the one that brought its sender what it forwards: an arrow between them.
        for (int before : sim.task(a.event.task).after) {
          const auto from = span_of_task.find(before);
          if (from != span_of_task.end()) step.add_flow(timeline_scene, {from->second + "->" + id, from->second, id});
        }
        const ChunkRange range = ring_chunk_range(numel, n, a.event.chunk);
        std::vector<std::int64_t> cells;
        for (std::int64_t i = 0; i < range.size; ++i) cells.push_back(a.event.to * numel + range.begin + i);
        step.write_cells(cells_scene, cells, a.values);
      }
    }
  }
  return out;
}

}  // namespace gb::parallel
