// ddp.hpp: DistributedDataParallel (lesson 11): gradient buckets, ready hooks, overlap of the
// all-reduce with the backward pass, unused parameters (Li et al. 2020, "PyTorch Distributed").
//
// Every rank holds a replica of the model (parameters broadcast from rank 0 at the start, so they
// begin equal) and reads its own part of the batch. After backward the gradients must be averaged
// over the ranks. All-reducing each parameter alone pays the latency alpha once per parameter;
// all-reducing everything at the end leaves the links idle during backward. DDP does neither:
//   - gradients are packed into **buckets** in REVERSE registration order (the order backward makes
//     them ready), a small first bucket (1 MiB) so communication starts early, then buckets of
//     bucket_cap_mb (25 MiB). A bucket is closed as soon as its bytes reach its cap; a parameter is
//     never split (one larger than the cap fills the open bucket alone or with what is already in it);
//   - a hook on each parameter marks it ready when its gradient is computed; when the last parameter
//     of a bucket is ready, the bucket's all-reduce is issued on the communication stream and runs
//     while backward goes on with the earlier layers (**overlap**);
//   - a parameter that took no part in the loss never gets a gradient, so its bucket would never be
//     ready and the step would hang. find_unused_parameters finds them (a walk over the autograd
//     graph after forward) and marks them ready at once, with zeros; without it glassbox stops with a
//     gb::Error naming them instead of hanging.
// (torch builds its first buckets in registration order and rebuilds them after the first iteration in
// the order the gradients really arrived: the buckets below are that rebuilt, steady-state order.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

struct BucketOptions {
  std::int64_t first_bucket_bytes = 1LL << 20;  // torch.distributed._DEFAULT_FIRST_BUCKET_BYTES
  std::int64_t bucket_cap_bytes = 25LL << 20;   // bucket_cap_mb = 25
};

// The buckets of parameters of these sizes (bytes, in registration order): each bucket a list of
// parameter indices, in the order backward makes them ready (so the first bucket starts with the last
// parameter). Throws gb::Error for no parameters, a size < 1 or a cap < 1.
std::vector<std::vector<int>> assign_buckets(const std::vector<std::int64_t>& parameter_bytes,
                                             const BucketOptions& options = {});

// A parameter of the replicated model: its name (for messages) and its number of f32 values.
struct DdpParameter {
  std::string name;
  std::int64_t numel = 0;
};

// One layer of the simulated model: the parameters it owns (indices into the parameter list) and
// its cost. Backward of a layer takes about twice the flops of its forward (two matmuls per one).
struct DdpLayer {
  std::string name;
  std::vector<int> parameters;
  double forward_flops = 0, backward_flops = 0;
};

struct DdpOptions {
  BucketOptions buckets;
  bool overlap = true;                  // false: every all-reduce waits for the whole backward
  bool find_unused_parameters = false;
  AllReduceAlgorithm algorithm = AllReduceAlgorithm::ring;
  double optimizer_seconds = 0;         // one optimizer task per rank after its last all-reduce
};

// What one simulated DDP step did and how long it took.
struct DdpStep {
  std::vector<std::vector<int>> buckets;     // parameter indices per bucket, in all-reduce order
  std::vector<int> unused;                   // parameters without a gradient on some rank
  Execution execution;
  std::vector<int> backward_tasks;           // rank 0's backward task per layer, in backward order
  std::vector<int> bucket_tasks;             // rank 0's last all-reduce task per bucket
  std::vector<Issued> all_reduces;           // what each bucket's all-reduce issued
  double step_seconds = 0;                   // the makespan
  double compute_seconds = 0;                // rank 0's forward + backward + optimizer time
  double communication_seconds = 0;          // rank 0's time with communication in flight
  double exposed_communication_seconds = 0;  // step - compute: communication nothing hid
  std::int64_t bytes_sent_per_rank = 0;      // rank 0, over every bucket
};

// One DDP step of a model of `layers` on the group `group` (device ids) of `sim`: forward and backward
// tasks per layer on each rank's compute stream, each bucket's all-reduce issued when the backward
// tasks of all its parameters have ended (or after the whole backward without overlap), then the
// optimizer. grads[r][p] is rank r's gradient of parameter p (f32, numel values; undefined: none); the
// all-reduce moves the real values through the buckets, and on return grads[r][p] holds the average
// over ranks (zeros for an unused parameter). Runs the simulator. Throws gb::Error for mismatched
// sizes, a parameter owned by no layer or by two, and unused parameters without find_unused_parameters.
DdpStep ddp_step(Simulator& sim, const std::vector<int>& group, const std::vector<DdpLayer>& layers,
                 const std::vector<DdpParameter>& parameters, std::vector<std::vector<Tensor>>& grads,
                 const DdpOptions& options = {});

// The start of training: every rank's parameters (values[r][p]) overwritten by rank 0's, one broadcast
// per parameter issued on `sim` (run it afterwards), in registration order.
std::vector<Issued> broadcast_parameters(Simulator& sim, const std::vector<int>& group,
                                         std::vector<std::vector<Tensor>>& values);

}  // namespace gb::parallel
