// tensor_parallel_record.hpp: drawing tensor parallelism (lesson 13): the weights with each rank's
// shard marked, and a block's forward and backward as a timeline with one lane per rank, read off the
// simulated execution (compute spans, and the f and g all-reduces of category "communication").
#pragma once

#include <string>

#include "gb/parallel/tensor_parallel_model.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// Adds a Tensor scene `scene_id` showing `weight` [in, out] and one step per rank (Level::op) marking
// (read_cells) the cells that rank holds for `split` over t ranks.
void record_tp_shards(trace::Recorder& rec, const std::string& scene_id, const std::string& title, const Tensor& weight, TpSplit split,
                      int t);

// Adds a Timeline scene (unit "us", lanes "rank<r>") and steps through the run: the compute spans up to
// each all-reduce, then that all-reduce's messages (category "communication", named after the
// collective: "g: all-reduce MLP output", "f: all-reduce MLP input gradient") with the bytes each rank
// sent in the caption; a last step for the tasks after the last all-reduce.
void record_tp_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title, const TpBlockRun& run);

}  // namespace gb::parallel
