// ddp.cpp: one simulated DDP step: backward layer by layer, ready hooks filling the buckets, each
// bucket's all-reduce issued when its last gradient is ready (see ddp.hpp).
#include <algorithm>
#include <set>
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/ddp.hpp"

namespace gb::parallel {

namespace {

void check_step(const std::vector<int>& group, const std::vector<DdpLayer>& layers,
                const std::vector<DdpParameter>& parameters, const std::vector<std::vector<Tensor>>& grads,
                std::vector<int>& owner) {
  const auto n = group.size(), count = parameters.size();
  if (n < 1) throw Error("ddp_step", "a group of at least 1 rank", "an empty group");
  if (grads.size() != n)
    throw Error("ddp_step", "one gradient list per rank (" + std::to_string(n) + ")", std::to_string(grads.size()));
  for (std::size_t p = 0; p < count; ++p)
    if (parameters[p].numel < 1) throw Error("ddp_step", "parameters of at least 1 value", parameters[p].name);
  owner.assign(count, -1);
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (int p : layers[l].parameters) {
      if (p < 0 || p >= static_cast<int>(count))
        throw Error("ddp_step", "parameter indices in 0.." + std::to_string(count - 1), std::to_string(p) + " in layer " + layers[l].name);
      if (owner[p] >= 0) throw Error("ddp_step", "each parameter in one layer", parameters[p].name + " in two");
      owner[p] = static_cast<int>(l);
    }
  for (std::size_t p = 0; p < count; ++p)
    if (owner[p] < 0) throw Error("ddp_step", "each parameter in one layer", parameters[p].name + " in none");
  for (std::size_t r = 0; r < n; ++r) {
    if (grads[r].size() != count)
      throw Error("ddp_step", std::to_string(count) + " gradients on rank " + std::to_string(r), std::to_string(grads[r].size()));
    for (std::size_t p = 0; p < count; ++p)
      if (grads[r][p].defined() && (grads[r][p].dtype() != DType::f32 || grads[r][p].numel() != parameters[p].numel))
        throw Error("ddp_step", "an f32 gradient of " + std::to_string(parameters[p].numel) + " values for " + parameters[p].name,
                    "another dtype or size on rank " + std::to_string(r));
  }
}

Task compute_task(Simulator& sim, const std::string& name, TaskKind kind, int device, double seconds, std::vector<int> after) {
  Task t;
  t.name = name;
  t.kind = kind;
  t.device = device;
  t.resources = {sim.compute(device)};
  t.duration = seconds;
  t.after = std::move(after);
  return t;
}

}  // namespace

DdpStep ddp_step(Simulator& sim, const std::vector<int>& group, const std::vector<DdpLayer>& layers,
                 const std::vector<DdpParameter>& parameters, std::vector<std::vector<Tensor>>& grads,
                 const DdpOptions& options) {
  std::vector<int> owner;
  check_step(group, layers, parameters, grads, owner);
  const int n = static_cast<int>(group.size()), count = static_cast<int>(parameters.size());
  DdpStep step;

  // Unused parameters: no gradient on some rank. Their bucket would wait for ever.
  for (int p = 0; p < count; ++p)
    for (int r = 0; r < n; ++r)
      if (!grads[r][p].defined()) {
        step.unused.push_back(p);
        break;
      }
  if (!step.unused.empty() && !options.find_unused_parameters) {
    std::string names;
    for (int p : step.unused) names += (names.empty() ? "" : ", ") + parameters[p].name;
    throw Error("DDP backward (the all-reduce would wait for ever)",
                "a gradient for every parameter on every rank, or find_unused_parameters = true",
                "no gradient for " + names);
  }

  // The buckets, and where each parameter's gradient sits in its bucket's flat buffer.
  std::vector<std::int64_t> bytes;
  for (const DdpParameter& p : parameters) bytes.push_back(4 * p.numel);
  step.buckets = assign_buckets(bytes, options.buckets);
  std::vector<int> bucket_of(count);
  std::vector<std::int64_t> offset(count);
  std::vector<std::vector<Tensor>> flat(step.buckets.size());  // [bucket][rank]
  for (std::size_t b = 0; b < step.buckets.size(); ++b) {
    std::int64_t numel = 0;
    for (int p : step.buckets[b]) {
      bucket_of[p] = static_cast<int>(b);
      offset[p] = numel;
      numel += parameters[p].numel;
    }
    for (int r = 0; r < n; ++r) flat[b].push_back(Tensor::zeros({numel}));
  }

  // Forward, then backward in reverse layer order. Each backward task's action is the ready hook of
  // its parameters: it copies their gradients into their slots of the bucket.
  const Cluster& cluster = sim.cluster();
  std::vector<std::vector<int>> backward_task(n, std::vector<int>(layers.size()));
  std::vector<int> last_forward(n), last_backward(n);
  for (int r = 0; r < n; ++r) {
    const int d = group[r];
    for (std::size_t l = 0; l < layers.size(); ++l)
      last_forward[r] = sim.add(compute_task(sim, "F " + layers[l].name, TaskKind::forward, d,
                                             cluster.compute_seconds(layers[l].forward_flops), {}));
    for (int l = static_cast<int>(layers.size()) - 1; l >= 0; --l) {
      Task t = compute_task(sim, "B " + layers[l].name, TaskKind::backward, d, cluster.compute_seconds(layers[l].backward_flops), {});
      t.action = [&grads, &flat, &bucket_of, &offset, &layers, l, r]() {
        for (int p : layers[l].parameters) {
          if (!grads[r][p].defined()) continue;  // unused here: its slot stays zero
          const Tensor g = grads[r][p].contiguous().reshape({-1});
          flat[bucket_of[p]][r].slice(0, offset[p], offset[p] + g.numel()).copy_from(g);
        }
      };
      backward_task[r][l] = last_backward[r] = sim.add(std::move(t));
      if (r == 0) step.backward_tasks.push_back(backward_task[r][l]);
    }
  }

  // Each bucket's all-reduce (the mean), issued in bucket order on the communication streams. With
  // overlap it waits only for the backward tasks of its own parameters (an unused parameter is ready
  // as soon as the forward has ended); without, for the whole backward.
  std::vector<std::vector<int>> reduced(n);
  for (std::size_t b = 0; b < step.buckets.size(); ++b) {
    std::set<int> after(last_forward.begin(), last_forward.end());
    for (int r = 0; r < n; ++r)
      for (int p : step.buckets[b]) {
        if (!options.overlap) after.insert(last_backward[r]);
        else if (grads[r][p].defined()) after.insert(backward_task[r][owner[p]]);
      }
    const Issued issued = all_reduce(sim, group, flat[b], options.algorithm, ReduceOp::mean,
                                     std::vector<int>(after.begin(), after.end()));
    for (int r = 0; r < n; ++r) reduced[r].push_back(issued.done.at(r));
    step.bucket_tasks.push_back(issued.done.at(0));
    step.all_reduces.push_back(issued);
    step.bytes_sent_per_rank += issued.bytes_sent.at(0);
  }
  for (int r = 0; r < n; ++r) {
    std::vector<int> after = reduced[r];
    after.push_back(last_backward[r]);
    sim.add(compute_task(sim, "optimizer", TaskKind::optimizer, group[r], options.optimizer_seconds, after));
  }

  step.execution = sim.run();
  // The averaged gradients, read back from the buckets into every rank's gradients.
  for (int r = 0; r < n; ++r)
    for (int p = 0; p < count; ++p) {
      const Tensor averaged = flat[bucket_of[p]][r].slice(0, offset[p], offset[p] + parameters[p].numel).clone();
      Shape shape = {parameters[p].numel};
      for (int q = 0; q < n; ++q)
        if (grads[q][p].defined()) shape = grads[q][p].shape();
      grads[r][p] = averaged.reshape(shape);
    }
  const int d0 = group[0];
  const Execution& e = step.execution;
  step.step_seconds = e.makespan;
  step.compute_seconds = e.busy(d0, TaskKind::forward) + e.busy(d0, TaskKind::backward) + e.busy(d0, TaskKind::optimizer);
  step.communication_seconds = e.busy(d0, TaskKind::communication);
  step.exposed_communication_seconds = std::max(0.0, step.step_seconds - step.compute_seconds);
  return step;
}

std::vector<Issued> broadcast_parameters(Simulator& sim, const std::vector<int>& group,
                                         std::vector<std::vector<Tensor>>& values) {
  if (values.size() != group.size())
    throw Error("broadcast_parameters", "one parameter list per rank (" + std::to_string(group.size()) + ")",
                std::to_string(values.size()));
  std::vector<Issued> issued;
  for (std::size_t p = 0; p < values.at(0).size(); ++p) {
    std::vector<Tensor> copies;
    for (const auto& rank : values) {
      if (rank.size() != values[0].size())
        throw Error("broadcast_parameters", "the same number of parameters on every rank", std::to_string(rank.size()));
      copies.push_back(rank[p]);
    }
    issued.push_back(broadcast(sim, group, copies, 0));  // the tensors share storage: written in place
  }
  return issued;
}

}  // namespace gb::parallel
