// redistribute_apply.cpp: running a redistribution plan on real shards with the real collectives of
// lesson 10. Those collectives work on flat buffers in rank order, so each step first moves the dim
// it cuts or glues to the front (a permuted copy): there, "block r along the dim" is "chunk r of the
// flat buffer", which is what all-gather concatenates, reduce-scatter hands rank r and all-to-all sends
// to rank r. Afterwards the dim goes back to its place.
#include <algorithm>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/redistribute.hpp"

namespace gb::parallel {

namespace {

using Dims = std::vector<std::int64_t>;

Dims to_front(std::size_t rank, int dim) {  // [dim, the others in order]
  Dims q{dim};
  for (std::size_t i = 0; i < rank; ++i)
    if (static_cast<int>(i) != dim) q.push_back(static_cast<std::int64_t>(i));
  return q;
}

Dims inverse(const Dims& q) {
  Dims inv(q.size());
  for (std::size_t k = 0; k < q.size(); ++k) inv[static_cast<std::size_t>(q[k])] = static_cast<std::int64_t>(k);
  return inv;
}

Tensor front_flat(const Tensor& t, int dim) { return t.permute(to_front(t.ndim(), dim)).contiguous().reshape({t.numel()}); }

// A flat buffer holding a tensor whose dim `dim` was moved to the front, given that tensor's shape
// in the original dim order, back in the original order.
Tensor from_front_flat(const Tensor& flat, Dims shape, int dim) {
  const Dims q = to_front(shape.size(), dim);
  Dims front;
  for (std::int64_t i : q) front.push_back(shape[static_cast<std::size_t>(i)]);
  return flat.reshape(front).permute(inverse(q)).contiguous();
}

// Runs one group's collective on its shards (by device) and writes the results back into `shards`.
// Returns the simulated seconds it took.
double run_group(const RedistributionStep& step, const std::vector<int>& group, std::vector<Tensor>& shards, Simulator& sim,
                 std::int64_t& most_sent) {
  const auto n = static_cast<std::int64_t>(group.size());
  const Dims before = shards[static_cast<std::size_t>(group[0])].shape();
  std::vector<Tensor> in, out;
  Issued issued;
  if (step.kind == RedistributionKind::all_reduce) {
    for (int d : group) in.push_back(shards[static_cast<std::size_t>(d)].clone());
    issued = all_reduce(sim, group, in);
    out = in;
  } else {
    const int dim = step.kind == RedistributionKind::all_gather ? step.from_dim : step.to_dim;
    for (int d : group) in.push_back(front_flat(shards[static_cast<std::size_t>(d)], dim));
    const std::int64_t numel = in[0].numel();
    const std::int64_t out_numel = step.kind == RedistributionKind::all_gather      ? numel * n
                                   : step.kind == RedistributionKind::reduce_scatter ? numel / n
                                                                                      : numel;
    for (std::int64_t r = 0; r < n; ++r) out.push_back(Tensor::zeros({out_numel}, in[0].dtype()));
    if (step.kind == RedistributionKind::all_gather) issued = all_gather(sim, group, in, out);
    if (step.kind == RedistributionKind::reduce_scatter) issued = reduce_scatter(sim, group, in, out);
    if (step.kind == RedistributionKind::all_to_all) issued = all_to_all(sim, group, in, out);
  }
  const double seconds = sim.run().makespan;  // the messages move the values
  for (std::int64_t s : issued.bytes_sent) most_sent = std::max(most_sent, s);
  for (std::size_t r = 0; r < group.size(); ++r) {
    Tensor& shard = shards[static_cast<std::size_t>(group[r])];
    Dims shape = before;
    switch (step.kind) {
      case RedistributionKind::all_reduce: shard = out[r].reshape(before); break;
      case RedistributionKind::all_gather:
        shape[static_cast<std::size_t>(step.from_dim)] *= n;
        shard = from_front_flat(out[r], shape, step.from_dim);
        break;
      case RedistributionKind::reduce_scatter:
        shape[static_cast<std::size_t>(step.to_dim)] /= n;
        shard = from_front_flat(out[r], shape, step.to_dim);
        break;
      case RedistributionKind::all_to_all: {
        // out[r] is [n, E/n, the other dims] with position j from rank j (block j along from_dim):
        // put that n just before from_dim and merge the two, so block j lands at j x its size.
        const Dims q = to_front(before.size(), step.to_dim);
        Dims split{n, before[static_cast<std::size_t>(step.to_dim)] / n};
        for (std::size_t k = 1; k < q.size(); ++k) split.push_back(before[static_cast<std::size_t>(q[k])]);
        const auto k_from = static_cast<std::size_t>(std::find(q.begin(), q.end(), step.from_dim) - q.begin());
        Dims order;
        for (std::size_t k = 1; k <= k_from; ++k) order.push_back(static_cast<std::int64_t>(k));
        order.push_back(0);
        for (std::size_t k = k_from + 1; k < split.size(); ++k) order.push_back(static_cast<std::int64_t>(k));
        shape[static_cast<std::size_t>(step.to_dim)] /= n;
        shape[static_cast<std::size_t>(step.from_dim)] *= n;
        Dims front;
        for (std::int64_t i : q) front.push_back(shape[static_cast<std::size_t>(i)]);
        shard = out[r].reshape(split).permute(order).contiguous().reshape(front).permute(inverse(q)).contiguous();
        break;
      }
      default: break;
    }
  }
  return seconds;
}

}  // namespace

std::vector<Tensor> apply_redistribution(const RedistributionPlan& plan, const std::vector<Tensor>& shards, const ClusterSpec& spec,
                                         RedistributionCost* cost) {
  const int devices = device_count(plan.from);
  const Dims local = local_shape(plan.from);
  if (static_cast<int>(shards.size()) != devices) {
    throw Error("apply_redistribution", std::to_string(devices) + " shards, one per device", std::to_string(shards.size()));
  }
  for (const Tensor& s : shards) {
    if (!s.defined() || s.shape() != local || s.dtype() != shards[0].dtype() ||
        (s.dtype() != DType::f32 && s.dtype() != DType::f64) || static_cast<std::int64_t>(dtype_size(s.dtype())) != plan.element_bytes) {
      throw Error("apply_redistribution",
                  "f32 or f64 shards of the local shape " + shape_str(local) + " and the plan's " + std::to_string(plan.element_bytes) +
                      " bytes per element",
                  s.defined() ? shape_str(s.shape()) + " " + dtype_name(s.dtype()) : "an undefined tensor");
    }
  }
  ClusterSpec cluster = spec;
  cluster.devices = devices;
  cluster.memory_bytes = 0;
  std::vector<Tensor> current;
  for (const Tensor& s : shards) current.push_back(s.clone());
  RedistributionCost measured;
  for (const RedistributionStep& step : plan.steps) {
    double seconds = 0;
    std::int64_t most_sent = 0;
    for (const std::vector<int>& group : step.groups) {
      if (step.kind == RedistributionKind::split || step.kind == RedistributionKind::make_partial) {
        // Local: rank r of the group keeps block r of the dim (split), or keeps its values only if r == 0.
        const auto n = static_cast<std::int64_t>(group.size());
        for (std::int64_t r = 0; r < n; ++r) {
          Tensor& shard = current[static_cast<std::size_t>(group[static_cast<std::size_t>(r)])];
          if (step.kind == RedistributionKind::make_partial) {
            if (r != 0) shard = Tensor::zeros(shard.shape(), shard.dtype());
            continue;
          }
          const std::int64_t block = shard.size(step.to_dim) / n;
          shard = shard.slice(step.to_dim, r * block, (r + 1) * block).clone();
        }
        continue;
      }
      // One simulator per group: the groups run at once on disjoint devices and links, so the step
      // takes as long as its slowest group.
      Simulator sim{Cluster(cluster)};
      seconds = std::max(seconds, run_group(step, group, current, sim, most_sent));
    }
    measured.step_seconds.push_back(seconds);
    measured.step_bytes_sent.push_back(most_sent);
    measured.seconds += seconds;
  }
  if (cost != nullptr) *cost = measured;
  return current;
}

}  // namespace gb::parallel
