// 11-data-parallel: data parallelism on the simulated cluster. The distributed sampler's shards; a
// parameter server, synchronous and stale, trained for real on the digits against one device; DDP's
// gradient buckets filling as the backward tasks of a simulated step end; the overlap of the buckets'
// all-reduces with the backward, measured with and without; unused parameters; and DDP trained for real
// against one device. The scenario checks its numbers: the shards cover the data, every rank ends with the
// mean gradient, overlap exposes less communication, DDP and the synchronous server equal one device.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/data_parallel.hpp"
#include "gb/parallel/ddp.hpp"
#include "gb/parallel/ddp_record.hpp"
#include "gb/parallel/sampler.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::lessons {

extern const char* const lesson_text_11_data_parallel;

namespace {

namespace p = gb::parallel;
using trace::Level;
using trace::Recorder;

// The library's stated tolerance for "the same weights" (data_parallel.hpp: equal up to the order of
// the f32 additions), as its tests use it.
constexpr double kSameWeights = 1e-5;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 11-data-parallel self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string us(double seconds) { return num(seconds * 1e6) + " us"; }
std::string mib(std::int64_t bytes) { return num(static_cast<double>(bytes) / (1 << 20)) + " MiB"; }

std::string list(const std::vector<std::int64_t>& v) {
  std::string out;
  for (std::int64_t x : v) out += (out.empty() ? "" : " ") + std::to_string(x);
  return out;
}

struct Settings {
  int devices = 4, devices_per_node = 8, layers = 8, steps = 20, staleness = 2;
  std::int64_t examples = 10, layer_size = 256, batch_per_rank = 4096;
  double first_bucket_mb = 0.25, bucket_cap_mb = 0.5;
  std::uint64_t seed = 0;
};

Settings settings(const Params& params) {
  Settings s;
  auto bounded = [&](const std::string& name, std::int64_t low, std::int64_t high) {
    const std::int64_t v = param_int(params, name);
    if (v < low || v > high)
      throw Error("lesson 11 parameter " + name, std::to_string(low) + ".." + std::to_string(high), std::to_string(v));
    return v;
  };
  s.devices = static_cast<int>(bounded("devices", 2, 16));
  s.devices_per_node = static_cast<int>(bounded("devices_per_node", 1, 16));
  s.examples = bounded("examples", 1, 64);
  s.layers = static_cast<int>(bounded("layers", 2, 32));
  s.layer_size = bounded("layer_size", 16, 1024);
  s.batch_per_rank = bounded("batch_per_rank", 1, 1 << 16);
  s.steps = static_cast<int>(bounded("steps", 2, 100));
  s.staleness = static_cast<int>(bounded("staleness", 1, 10));
  s.seed = static_cast<std::uint64_t>(bounded("seed", 0, 1'000'000));
  s.first_bucket_mb = param_double(params, "first_bucket_mb");
  s.bucket_cap_mb = param_double(params, "bucket_cap_mb");
  // Every rank holds real gradients of the drawn model, copied a few times: keep them under 64 MiB.
  const std::int64_t values = static_cast<std::int64_t>(s.layers) * s.layer_size * (s.layer_size + 1) * s.devices;
  if (values > (1 << 24))
    throw Error("lesson 11 parameters layers x layer_size x (layer_size + 1) x devices", "at most 2^24 gradient values (64 MiB)",
                std::to_string(values));
  if (!(s.first_bucket_mb > 0 && s.first_bucket_mb <= 1024))
    throw Error("lesson 11 parameter first_bucket_mb", "a size in (0, 1024] MiB", num(s.first_bucket_mb));
  if (!(s.bucket_cap_mb > 0 && s.bucket_cap_mb <= 1024))
    throw Error("lesson 11 parameter bucket_cap_mb", "a size in (0, 1024] MiB", num(s.bucket_cap_mb));
  return s;
}

// The "summary" table gathers the lesson's measured numbers, one row per quantity.
constexpr const char* kSummary = "summary";

// ---- 1. replicas and shards --------------------------------------------------------------------------
// One Tensor scene per epoch: row r holds the examples rank r reads, written one rank per step.
void sampler_epoch(Recorder& rec, const Settings& s, std::int64_t epoch) {
  const std::int64_t per_rank = (s.examples + s.devices - 1) / s.devices;
  const std::string scene = "shards_epoch_" + std::to_string(epoch);
  rec.add_scene(trace::tensor_scene(scene, "Epoch " + std::to_string(epoch) + ": the examples each rank reads (row r: rank r)",
                                    Tensor::full({s.devices, per_rank}, -1.0)));
  const std::vector<std::int64_t> order = p::sampler_order(s.examples, s.seed, epoch, true);
  rec.step("Epoch " + std::to_string(epoch) + " orders the " + std::to_string(s.examples) + " examples by a permutation of seed + epoch = " +
               std::to_string(s.seed + static_cast<std::uint64_t>(epoch)) + ": " + list(order) + ".",
           Level::op);
  std::vector<std::int64_t> seen(static_cast<std::size_t>(s.examples), 0);
  for (int r = 0; r < s.devices; ++r) {
    p::SamplerOptions o;
    o.world = s.devices;
    o.rank = r;
    o.seed = s.seed;
    const std::vector<std::int64_t> mine = p::distributed_sampler(s.examples, o, epoch);
    check(static_cast<std::int64_t>(mine.size()) == per_rank, "ceil(N / world) = " + std::to_string(per_rank) + " examples per rank",
          std::to_string(mine.size()));
    std::vector<std::int64_t> cells;
    std::vector<double> values;
    for (std::size_t i = 0; i < mine.size(); ++i) {
      cells.push_back(r * per_rank + static_cast<std::int64_t>(i));
      values.push_back(static_cast<double>(mine[i]));
      ++seen[static_cast<std::size_t>(mine[i])];
    }
    rec.step("Rank " + std::to_string(r) + " reads positions " + std::to_string(r) + ", " + std::to_string(r + s.devices) +
                 ", ... of that list (indices[" + std::to_string(r) + "::" + std::to_string(s.devices) + "]): examples " + list(mine) + ".",
             Level::tile)
        .write_cells(scene, cells, values);
  }
  const std::int64_t padding = per_rank * s.devices - s.examples;
  std::vector<std::int64_t> again;
  for (std::int64_t i = 0; i < s.examples; ++i) {
    check(seen[static_cast<std::size_t>(i)] >= 1, "every example read by some rank", "example " + std::to_string(i) + " read by none");
    if (seen[static_cast<std::size_t>(i)] > 1) again.push_back(i);
  }
  rec.step(padding == 0 ? "Every example is read exactly once in this epoch: the " + std::to_string(s.devices) + " ranks divide the " +
                              std::to_string(s.examples) + " examples."
                        : "Every example is read in this epoch; the " + std::to_string(padding) +
                              " padding positions repeat the start of the list (examples " + list(again) + ") so that every rank reads " +
                              std::to_string(per_rank) + ".",
           Level::op);
}

// ---- 2. a parameter server ------------------------------------------------------------------------------
double max_difference(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  double worst = 0;
  for (const auto& [name, t] : a) worst = std::max(worst, max_abs_diff(t, b.at(name)));
  return worst;
}

std::vector<double> step_numbers(std::size_t n) {
  std::vector<double> x;
  for (std::size_t i = 0; i < n; ++i) x.push_back(static_cast<double>(i));
  return x;
}

p::DataParallelConfig training_config(const Settings& s) {
  p::DataParallelConfig c;
  c.devices = s.devices;
  c.batch_size = 16 * s.devices;  // 16 examples per device
  c.steps = s.steps;
  c.seed = s.seed;
  c.cluster.devices_per_node = s.devices_per_node;
  return c;
}

p::TrainingRun parameter_server(Recorder& rec, const Settings& s, const nn::Dataset& digits) {
  const p::DataParallelConfig c = training_config(s);
  const p::TrainingRun one = p::train_single_device(digits, c);
  const p::TrainingRun sync = p::train_parameter_server(digits, c, 0);
  const p::TrainingRun stale = p::train_parameter_server(digits, c, s.staleness);
  rec.add_scene(trace::plot_scene("losses", "Training loss on the digits (" + std::to_string(c.batch_size) + " examples per step)", "step",
                                  "mean loss of the global batch"));
  const std::vector<double> x = step_numbers(one.losses.size());
  rec.step("One device trains " + std::to_string(s.steps) + " steps on the whole batch of " + std::to_string(c.batch_size) +
               ": the loss goes from " + num(one.losses.front()) + " to " + num(one.losses.back()) + ".",
           Level::op)
      .set_series("losses", "one device", x, one.losses);
  const double sync_difference = max_difference(sync.parameters, one.parameters);
  check(sync_difference < kSameWeights, "the synchronous server's weights equal to one device's (within 1e-5)", sci(sync_difference));
  rec.step("A synchronous server with " + std::to_string(s.devices) + " workers ends within " + sci(sync_difference) +
               " of one device's weights: the average of the shard gradients is the whole batch's gradient.",
           Level::op)
      .set_series("losses", "parameter server, synchronous", x, sync.losses);
  const double stale_difference = max_difference(stale.parameters, sync.parameters);
  check(stale_difference > kSameWeights, "stale gradients to change the weights", sci(stale_difference));
  rec.step("With staleness " + std::to_string(s.staleness) + " every update uses gradients of weights " + std::to_string(s.staleness) +
               " versions old: the loss ends at " + num(stale.losses.back()) + " instead of " + num(sync.losses.back()) + ", the weights " +
               num(stale_difference) + " away from the synchronous ones.",
           Level::op)
      .set_series("losses", "parameter server, staleness " + std::to_string(s.staleness), x, stale.losses)
      .add_row(kSummary, {"parameter server, synchronous: max |weights - one device|", sci(sync_difference)})
      .add_row(kSummary, {"parameter server, staleness " + std::to_string(s.staleness) + ": max |weights - synchronous|", num(stale_difference)});
  return one;
}

// ---- 3-5. DDP on a simulated model -------------------------------------------------------------------------
// The drawn model: `layers` Linear(layer_size, layer_size) layers (the activations between them own no
// parameters, so DDP never sees them). Its gradients are random numbers, rank r's uniform in [-1, 1)
// from Rng(seed + r): the all-reduce must leave their mean on every rank, whatever they are.
struct DrawnModel {
  std::vector<p::DdpLayer> layers;
  std::vector<p::DdpParameter> parameters;
  std::vector<std::vector<Tensor>> grads;  // [rank][parameter]
};

DrawnModel drawn_model(const Settings& s) {
  auto model = std::make_shared<nn::Sequential>();
  Rng rng(s.seed);
  for (int l = 0; l < s.layers; ++l) model->add(std::make_shared<nn::Linear>(s.layer_size, s.layer_size, rng));
  DrawnModel m;
  m.parameters = p::ddp_parameters(*model);
  m.layers = p::ddp_layers(*model, s.batch_per_rank);
  for (int r = 0; r < s.devices; ++r) {
    Rng g(s.seed + static_cast<std::uint64_t>(r));
    m.grads.emplace_back();
    for (const p::DdpParameter& q : m.parameters) m.grads.back().push_back(g.uniform(Shape{q.numel}, -1, 1));
  }
  return m;
}

std::vector<std::vector<Tensor>> copy_grads(const std::vector<std::vector<Tensor>>& grads) {
  std::vector<std::vector<Tensor>> out;
  for (const auto& rank : grads) {
    out.emplace_back();
    for (const Tensor& g : rank) out.back().push_back(g.defined() ? g.clone() : Tensor());
  }
  return out;
}

p::DdpOptions ddp_options(const Settings& s, bool overlap) {
  p::DdpOptions o;
  o.buckets.first_bucket_bytes = static_cast<std::int64_t>(s.first_bucket_mb * (1 << 20));
  o.buckets.bucket_cap_bytes = static_cast<std::int64_t>(s.bucket_cap_mb * (1 << 20));
  o.overlap = overlap;
  return o;
}

p::Simulator simulator(const Settings& s) {
  p::ClusterSpec spec;
  spec.devices = s.devices;
  spec.devices_per_node = s.devices_per_node;
  return p::Simulator{p::Cluster(spec)};
}

std::vector<int> group_of(const Settings& s) {
  std::vector<int> group;
  for (int r = 0; r < s.devices; ++r) group.push_back(r);
  return group;
}

// Every rank must hold the mean of the ranks' original gradients (summed here in double, in rank order).
void check_mean(const DrawnModel& m, const std::vector<std::vector<Tensor>>& reduced) {
  const double n = static_cast<double>(m.grads.size());
  double worst = 0;
  for (std::size_t q = 0; q < m.parameters.size(); ++q) {
    std::vector<const float*> original;
    for (const auto& rank : m.grads)
      if (rank[q].defined()) original.push_back(rank[q].data<float>());
    for (const auto& rank : reduced) {
      const Tensor got = rank[q].contiguous();
      const float* g = got.data<float>();
      for (std::int64_t i = 0; i < got.numel(); ++i) {
        double mean = 0;
        for (const float* x : original) mean += x[i];
        worst = std::max(worst, std::fabs(g[i] - mean / n));
      }
    }
  }
  check(worst < 1e-5, "every rank holding the mean gradient (within 1e-5)", sci(worst));
}

std::string names(const DrawnModel& m, const std::vector<int>& parameters) {
  std::string out;
  for (int q : parameters) out += (out.empty() ? "" : ", ") + m.parameters[static_cast<std::size_t>(q)].name;
  return out;
}

// Section 3: the bucket table, then one step per backward task of rank 0, in the order they end: its
// parameters' gradients land in their bucket slots (cell value: the parameter's registration index).
void buckets_filling(Recorder& rec, const Settings& s, const DrawnModel& m, const p::Simulator& sim, const p::DdpStep& step) {
  std::size_t widest = 0;
  for (const auto& b : step.buckets) widest = std::max(widest, b.size());
  const auto buckets = static_cast<std::int64_t>(step.buckets.size());
  rec.add_scene(trace::tensor_scene("bucket_slots",
                                    "The buckets' slots on rank 0 (row b: bucket b; a parameter's index once its gradient is in, -1 before)",
                                    Tensor::full({buckets, static_cast<std::int64_t>(widest)}, -1.0)));
  rec.add_scene(trace::table_scene("buckets", "The buckets, in all-reduce order (times measured on the simulator, rank 0)",
                                   {"bucket", "parameters", "size", "ready (us)", "all-reduce start (us)", "all-reduce end (us)"}));
  std::int64_t total = 0;
  for (const p::DdpParameter& q : m.parameters) total += 4 * q.numel;
  rec.step("assign_buckets walks the " + std::to_string(m.parameters.size()) + " parameters (" + mib(total) +
               ") from the last to the first and closes a bucket when it reaches " + num(s.first_bucket_mb) + " MiB (the first) or " +
               num(s.bucket_cap_mb) + " MiB: " + std::to_string(buckets) + " buckets.",
           Level::op);

  const std::vector<p::BucketTimes> times = p::bucket_times(sim, step);
  std::vector<int> bucket_of(m.parameters.size()), slot_of(m.parameters.size());
  std::vector<std::size_t> missing(step.buckets.size());
  for (std::size_t b = 0; b < step.buckets.size(); ++b) {
    missing[b] = step.buckets[b].size();
    for (std::size_t i = 0; i < step.buckets[b].size(); ++i) {
      bucket_of[static_cast<std::size_t>(step.buckets[b][i])] = static_cast<int>(b);
      slot_of[static_cast<std::size_t>(step.buckets[b][i])] = static_cast<int>(i);
    }
  }
  const int last_layer = static_cast<int>(m.layers.size()) - 1;
  for (std::size_t k = 0; k < step.backward_tasks.size(); ++k) {
    const p::DdpLayer& layer = m.layers[static_cast<std::size_t>(last_layer - static_cast<int>(k))];  // backward runs last layer first
    const double end = step.execution.tasks.at(static_cast<std::size_t>(step.backward_tasks[k])).end;
    std::vector<std::int64_t> cells;
    std::vector<double> values;
    std::vector<std::size_t> full;
    for (int q : layer.parameters) {
      const auto b = static_cast<std::size_t>(bucket_of[static_cast<std::size_t>(q)]);
      cells.push_back(static_cast<std::int64_t>(b * widest) + slot_of[static_cast<std::size_t>(q)]);
      values.push_back(q);
      if (--missing[b] == 0) full.push_back(b);
    }
    std::string caption = "Backward of layer " + layer.name + " ends at " + us(end) + ": the hooks of " + names(m, layer.parameters) +
                          " copy their gradients into their bucket slots";
    for (std::size_t b : full)
      caption += ", bucket " + std::to_string(b) + " is complete and its all-reduce runs from " + us(times[b].start) + " to " +
                 us(times[b].end);
    auto builder = rec.step(caption + ".", Level::tile);
    builder.write_cells("bucket_slots", cells, values);
    for (std::size_t b : full) {
      std::int64_t bytes = 0;
      for (int q : step.buckets[b]) bytes += 4 * m.parameters[static_cast<std::size_t>(q)].numel;
      builder.add_row("buckets", {std::to_string(b), names(m, step.buckets[b]), mib(bytes), num(times[b].ready * 1e6),
                                  num(times[b].start * 1e6), num(times[b].end * 1e6)});
    }
  }
}

void ddp_sections(Recorder& rec, const Settings& s) {
  const DrawnModel m = drawn_model(s);
  const std::vector<int> group = group_of(s);

  rec.section("3. DDP: gradient buckets");
  p::Simulator sim = simulator(s);
  std::vector<std::vector<Tensor>> grads = copy_grads(m.grads);
  const p::DdpStep step = p::ddp_step(sim, group, m.layers, m.parameters, grads, ddp_options(s, true));
  check_mean(m, grads);
  buckets_filling(rec, s, m, sim, step);

  rec.section("4. Overlapping communication with the backward");
  p::record_ddp_timeline(rec, "with_overlap", "DDP step with overlap: each bucket's all-reduce starts when its gradients are ready (us)", sim,
                         step,
                         "With overlap the step takes " + us(step.step_seconds) + ": " + us(step.communication_seconds) +
                             " of communication, of which " + us(step.exposed_communication_seconds) + " is exposed (step - compute).");
  p::Simulator sim_after = simulator(s);
  std::vector<std::vector<Tensor>> grads_after = copy_grads(m.grads);
  const p::DdpStep after = p::ddp_step(sim_after, group, m.layers, m.parameters, grads_after, ddp_options(s, false));
  check_mean(m, grads_after);
  p::record_ddp_timeline(rec, "without_overlap", "DDP step without overlap: every all-reduce waits for the whole backward (us)", sim_after,
                         after,
                         "Without overlap the step takes " + us(after.step_seconds) + ": the same " + us(after.communication_seconds) +
                             " of communication, " + us(after.exposed_communication_seconds) + " of it exposed.");
  // Overlap can only start an all-reduce earlier; with layers too cheap to hide anything it gains nothing.
  check(step.exposed_communication_seconds <= after.exposed_communication_seconds + 1e-12,
        "no more exposed communication with overlap than the " + us(after.exposed_communication_seconds) + " without",
        us(step.exposed_communication_seconds));
  rec.step("Overlap hides " + us(after.exposed_communication_seconds - step.exposed_communication_seconds) +
               " of communication behind the backward and shortens the step by " + num(100 * (1 - step.step_seconds / after.step_seconds)) +
               "%.",
           Level::op)
      .add_row(kSummary, {"step time with overlap (us)", num(step.step_seconds * 1e6)})
      .add_row(kSummary, {"step time without overlap (us)", num(after.step_seconds * 1e6)})
      .add_row(kSummary, {"communication per rank (us)", num(step.communication_seconds * 1e6)})
      .add_row(kSummary, {"exposed communication with overlap (us)", num(step.exposed_communication_seconds * 1e6)})
      .add_row(kSummary, {"exposed communication without overlap (us)", num(after.exposed_communication_seconds * 1e6)});

  rec.section("5. Unused parameters");
  // This step skips the last layer (an auxiliary head, say): no rank computes its gradients.
  const p::DdpLayer& head = m.layers.back();
  std::vector<std::vector<Tensor>> partial = copy_grads(m.grads);
  for (auto& rank : partial)
    for (int q : head.parameters) rank[static_cast<std::size_t>(q)] = Tensor();
  try {
    p::Simulator stuck = simulator(s);
    p::ddp_step(stuck, group, m.layers, m.parameters, partial, ddp_options(s, true));
    check(false, "DDP to stop on parameters without gradients", "a finished step");
  } catch (const Error& e) {
    rec.step("Layer " + head.name + " takes no part in this step's loss, and DDP refuses to wait for ever: " + e.what() + ".", Level::op);
  }
  p::DdpOptions find = ddp_options(s, true);
  find.find_unused_parameters = true;
  p::Simulator found = simulator(s);
  const p::DdpStep unused = p::ddp_step(found, group, m.layers, m.parameters, partial, find);
  double largest = 0;
  for (const auto& rank : partial)
    for (int q : head.parameters)
      for (double v : rank[static_cast<std::size_t>(q)].to_vector()) largest = std::max(largest, std::fabs(v));
  check(largest == 0, "zero gradients for the unused parameters", num(largest));
  std::vector<int> unused_list(unused.unused.begin(), unused.unused.end());
  const std::vector<p::BucketTimes> times = p::bucket_times(found, unused);
  rec.step("With find_unused_parameters, " + names(m, unused_list) +
               " are marked ready with zeros when the forward ends, so bucket 0's all-reduce starts at " + us(times.front().start) + " instead of " + us(p::bucket_times(sim, step).front().start) + ".",
           Level::op);
}

// ---- 6. equivalence with one device ---------------------------------------------------------------------------
void equivalence(Recorder& rec, const Settings& s, const nn::Dataset& digits, const p::TrainingRun& one) {
  const p::TrainingRun ddp = p::train_data_parallel(digits, training_config(s));
  const double difference = max_difference(ddp.parameters, one.parameters);
  check(difference < kSameWeights, "DDP's weights equal to one device's (within 1e-5)", sci(difference));
  check(ddp.replica_spread == 0, "every replica holding the same weights", sci(ddp.replica_spread));
  rec.step("DDP on " + std::to_string(s.devices) + " devices trains " + std::to_string(s.steps) + " steps and ends within " + sci(difference) +
               " of one device's weights: the same numbers, added in another order.",
           Level::op)
      .set_series("losses", "DDP, " + std::to_string(s.devices) + " devices", step_numbers(ddp.losses.size()), ddp.losses)
      .add_row(kSummary, {"DDP: max |weights - one device|", sci(difference)});
  rec.step("The replicas never differ (largest difference " + sci(ddp.replica_spread) + "), and each rank sent " +
               mib(ddp.bytes_sent_per_rank) + ": the broadcast at the start, then one all-reduce of every gradient per step.",
           Level::op)
      .add_row(kSummary, {"DDP: max |weights of rank r - rank 0|", sci(ddp.replica_spread)})
      .add_row(kSummary, {"DDP: bytes sent per rank", std::to_string(ddp.bytes_sent_per_rank)});
}

trace::Recording data_parallel(const Params& params) {
  const Settings s = settings(params);
  Recorder rec("11-data-parallel", "Data parallelism: parameter servers, DDP buckets and overlap");
  rec.add_scene(trace::table_scene("summary", "What this lesson measured", {"quantity", "measured"}));

  rec.section("1. Replicas and shards");
  sampler_epoch(rec, s, 0);
  sampler_epoch(rec, s, 1);

  rec.section("2. A parameter server");
  const nn::Dataset digits = nn::load_digits();
  const p::TrainingRun one = parameter_server(rec, s, digits);

  ddp_sections(rec, s);

  rec.section("6. Equivalence with one device");
  equivalence(rec, s, digits, one);
  return rec.take();
}

}  // namespace

Lesson lesson_11_data_parallel() {
  return {"11-data-parallel",
          "Data parallelism: parameter servers, DDP buckets and overlap",
          "Part II, distributed training (simulated)",
          {{"devices", "4", "ranks of the data-parallel group (2..16)"},
           {"devices_per_node", "8", "devices per node: ranks in other nodes talk over the slow link (1..16)"},
           {"examples", "10", "size of the data set the sampler splits (1..64)"},
           {"seed", "0", "the sampler's permutation, the weights, the batches and the drawn gradients"},
           {"steps", "20", "training steps of the parameter servers, one device and DDP on the digits (2..100)"},
           {"staleness", "2", "k: the asynchronous server's updates use gradients of weights k versions old (1..10)"},
           {"layers", "8", "Linear layers of the drawn DDP model (2..32)"},
           {"layer_size", "256", "width of each drawn layer: a weight of layer_size^2 values and a bias (16..1024)"},
           {"batch_per_rank", "4096", "examples per rank in the drawn step: sets the compute time of each layer (1..65536)"},
           {"first_bucket_mb", "0.25", "cap of DDP's first bucket, MiB (torch: 1; scaled down with the small model)"},
           {"bucket_cap_mb", "0.5", "cap of the later buckets, MiB (torch's bucket_cap_mb: 25; scaled down with the small model)"}},
          lesson_text_11_data_parallel,
          data_parallel};
}

}  // namespace gb::lessons
