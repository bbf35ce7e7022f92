// collectives_record.hpp: drawing the collectives (lesson 10). A Tensor scene holds one row per rank;
// the ring all-reduce is drawn message by message: each chunk's cells written on the receiver as it
// arrives (read inside the message's action), and a Timeline of the messages read off the simulator's
// execution. Nothing drawn is made up: the values are the tensors', the times the simulator's.
#pragma once

#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/sim.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// A Tensor scene of one row per rank: row r is data[r] flattened, as it is now (every tensor must have
// the same number of elements). Cell (r, i) is index r x numel + i.
trace::Scene ranks_scene(const std::string& id, const std::string& title, const std::vector<Tensor>& data);
// Writes every cell of a ranks_scene with the values the tensors hold now: a collective's "after".
void write_ranks(trace::StepBuilder& step, const std::string& scene, const std::vector<Tensor>& data);

// What record_ring_all_reduce measured.
struct RingRecord {
  Issued issued;       // steps, bytes sent per rank, task ids
  double makespan = 0; // seconds, the end of the last message
  int messages = 0;    // n per ring step
};

// Runs a ring all-reduce (sum) of `data` over `group` on `sim`, which must hold no other task, and
// records it under the recorder's current section:
//   a Tensor scene `cells_scene` (ranks_scene of the data before) and a Timeline `timeline_scene`
//   (unit "us", one lane "rank r" per rank);
//   one step per ring step (Level::tile), reduce-scatter steps 0 .. n-2 then all-gather steps 0 .. n-2:
//   that step's n messages as spans on the senders' lanes (category "communication", named
//   "RS chunk c" or "AG chunk c", id "rs.s<step>.r<from>" or "ag.s<step>.r<from>"), a flow from every
//   message the sender had to wait for (the one that brought it what it forwards: the simulator's
//   dependencies), and the receivers' chunk cells written with the values they hold right after the
//   message (read in its action through the ring's observer).
// Throws gb::Error for a simulator that already holds tasks, and what all_reduce throws.
RingRecord record_ring_all_reduce(trace::Recorder& rec, Simulator& sim, const std::vector<int>& group,
                                  std::vector<Tensor>& data, const std::string& cells_scene,
                                  const std::string& timeline_scene);

}  // namespace gb::parallel
