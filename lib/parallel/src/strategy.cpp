// strategy.cpp: the per-layer cost model of strategy.hpp (layouts, flops, own collectives, memory)
// and the redistribution costs between layers. The search itself is in strategy_search.cpp.
#include "gb/parallel/strategy.hpp"

#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/redistribute.hpp"

namespace gb::parallel {

const char* layer_strategy_name(LayerStrategy s) {
  switch (s) {
    case LayerStrategy::data_parallel: return "data parallel";
    case LayerStrategy::column: return "column";
    case LayerStrategy::row: return "row";
    case LayerStrategy::replicate: return "replicate";
  }
  return "?";
}

LayerStrategy layer_strategy_from_name(const std::string& name) {
  for (LayerStrategy s : {LayerStrategy::data_parallel, LayerStrategy::column, LayerStrategy::row, LayerStrategy::replicate})
    if (name == layer_strategy_name(s)) return s;
  throw Error("layer_strategy_from_name", "\"data parallel\", \"column\", \"row\" or \"replicate\"", "\"" + name + "\"");
}

std::vector<MatMulLayer> mlp_chain(const std::vector<std::int64_t>& widths) {
  if (widths.size() < 2) throw Error("mlp_chain", "at least two widths (one layer)", std::to_string(widths.size()) + " widths");
  std::vector<MatMulLayer> layers;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) layers.push_back({widths[i], widths[i + 1]});
  return layers;
}

namespace {

const MatMulLayer& layer_at(const StrategyProblem& p, int layer) {
  if (layer < 0 || layer >= static_cast<int>(p.layers.size())) {
    throw Error("strategy search", "a layer in [0, " + std::to_string(p.layers.size()) + ")", std::to_string(layer));
  }
  return p.layers[static_cast<std::size_t>(layer)];
}

Layout make(const StrategyProblem& p, std::int64_t features, std::vector<int> map, std::vector<int> partial = {}) {
  return Layout{{p.devices}, std::move(map), {p.batch, features}, std::move(partial)};
}

bool divides(std::int64_t size, int n) { return size % n == 0; }

}  // namespace

// The table of strategy.hpp: S(0) = {0, -1}, S(1) = {-1, 0}, R = {-1, -1}, P = partial along axis 0.
Layout input_layout(const StrategyProblem& p, int layer, LayerStrategy s) {
  const std::int64_t in = layer_at(p, layer).in_features;
  switch (s) {
    case LayerStrategy::data_parallel: return make(p, in, {0, -1});
    case LayerStrategy::row: return make(p, in, {-1, 0});
    default: return make(p, in, {-1, -1});
  }
}

Layout output_layout(const StrategyProblem& p, int layer, LayerStrategy s) {
  const std::int64_t out = layer_at(p, layer).out_features;
  switch (s) {
    case LayerStrategy::data_parallel: return make(p, out, {0, -1});
    case LayerStrategy::column: return make(p, out, {-1, 0});
    case LayerStrategy::row: return make(p, out, {-1, -1}, {0});
    default: return make(p, out, {-1, -1});
  }
}

bool strategy_fits(const StrategyProblem& p, int layer, LayerStrategy s) {
  const MatMulLayer& l = layer_at(p, layer);
  switch (s) {
    case LayerStrategy::data_parallel: return divides(p.batch, p.devices);
    case LayerStrategy::column: return divides(l.out_features, p.devices);
    case LayerStrategy::row: return divides(l.in_features, p.devices);
    default: return true;
  }
}

namespace {

// One all-reduce of `bytes` over every device, timed on the simulator (ring).
double all_reduce_seconds(const StrategyProblem& p, std::int64_t bytes) {
  ClusterSpec spec = p.cluster;
  spec.devices = p.devices;
  spec.memory_bytes = 0;
  Simulator sim{Cluster(spec)};
  std::vector<int> all;
  for (int d = 0; d < p.devices; ++d) all.push_back(d);
  timed_all_reduce(sim, all, bytes);
  return sim.run().makespan;
}

}  // namespace

LayerCost layer_cost(const StrategyProblem& p, int layer, LayerStrategy s) {
  const MatMulLayer& l = layer_at(p, layer);
  if (!strategy_fits(p, layer, s)) {
    throw Error("layer_cost", std::string(layer_strategy_name(s)) + " on dims divisible by " + std::to_string(p.devices) + " devices",
                "batch " + std::to_string(p.batch) + ", layer " + std::to_string(l.in_features) + " x " + std::to_string(l.out_features));
  }
  const double flops = 6.0 * static_cast<double>(p.batch) * static_cast<double>(l.in_features) * static_cast<double>(l.out_features);
  const bool shared = s != LayerStrategy::replicate;         // the work is divided among the devices
  const bool sharded = s == LayerStrategy::column || s == LayerStrategy::row;  // so are the weights
  LayerCost c;
  c.compute_seconds = flops / (shared ? p.devices : 1) / p.cluster.flops_per_second;
  const std::int64_t parameters = l.in_features * l.out_features / (sharded ? p.devices : 1);
  c.model_state_bytes = parameters * (2 * p.element_bytes + p.optimizer_bytes);  // weights, gradients, optimizer states
  std::int64_t saved = p.batch * l.in_features;
  for (int axis : input_layout(p, layer, s).tensor_map)
    if (axis != -1) saved /= p.devices;
  c.activation_bytes = saved * p.element_bytes;
  if (s == LayerStrategy::data_parallel) c.collective_seconds = all_reduce_seconds(p, l.in_features * l.out_features * p.element_bytes);
  if (s == LayerStrategy::column) c.collective_seconds = all_reduce_seconds(p, p.batch * l.in_features * p.element_bytes);
  return c;
}

double redistribution_seconds(const StrategyProblem& p, const Layout& produced, const Layout& wanted) {
  ClusterSpec spec = p.cluster;
  Layout gradient_wanted = produced;  // the backward of a partial sum is a copy: its gradient is replicated
  gradient_wanted.partial.clear();
  const double forward = time_redistribution(plan_redistribution(produced, wanted, p.element_bytes), spec).seconds;
  const double backward = time_redistribution(plan_redistribution(wanted, gradient_wanted, p.element_bytes), spec).seconds;
  return forward + backward;
}

}  // namespace gb::parallel
