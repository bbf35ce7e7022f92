// ddp_record.hpp: drawing a simulated DDP step (lesson 11): when each gradient bucket became ready,
// when its all-reduce ran, and the Timeline of the whole step (one lane per rank). Everything is read
// off the Execution of ddp_step: the simulator that ran it must still be alive (its task list names the
// tasks and says which waited for which).
#pragma once

#include <string>
#include <vector>

#include "gb/parallel/ddp.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// One bucket's life, in seconds from the start of the step.
struct BucketTimes {
  double ready = 0;  // the last task its all-reduce waited for ended: every rank has all its gradients
  double start = 0;  // its first message left (later than `ready` when the previous bucket still held the link)
  double end = 0;    // its all-reduce is complete on rank 0
};

// The times of every bucket of `step`, in all-reduce order. Throws gb::Error when `sim` did not run `step`.
std::vector<BucketTimes> bucket_times(const Simulator& sim, const DdpStep& step);

// Adds the Timeline scene `scene_id` (unit us, lane "rank r" per rank) and one step that draws the whole
// DDP step: a span per forward, backward and optimizer task, one per message of each bucket's
// all-reduce (named "bucket b: <message>", category "communication"), and a flow from each backward
// task to the first message of the bucket that waited for it on the same rank. Zero-length tasks
// (bookkeeping) are left out. Returns the step's builder so the caller can add more changes.
trace::StepBuilder record_ddp_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                       const Simulator& sim, const DdpStep& step, const std::string& caption);

}  // namespace gb::parallel
