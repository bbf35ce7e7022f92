// 10-collectives: the collectives of distributed training run on the simulated cluster: broadcast,
// reduce, ring and tree all-reduce, reduce-scatter, all-gather and all-to-all on small tensors (one
// row per rank, before and after); the ring all-reduce message by message; the alpha-beta cost of
// ring, tree and recursive doubling measured against message size beside the formulas; and the
// crossover size at which the ring starts to win. The scenario checks its numbers: the results
// against the sums, the ring's 2(n-1) steps and 2(n-1)/n S bytes, the measured times against the
// formulas, the measured crossovers against the formulas'.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/collectives_record.hpp"
#include "gb/parallel/sim.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_10_collectives;

namespace {

namespace p = gb::parallel;
using p::AllReduceAlgorithm;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 10-collectives self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 1e4 && std::fabs(v) < 1e9 ? "%.0f" : "%.4g", v);
  return buf;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) {
    bytes /= 1024;
    ++u;
  }
  return num(std::round(bytes * 10) / 10) + " " + units[u];
}

struct Settings {
  int ranks = 4;
  std::int64_t elements = 8, bytes = 25 << 20;
  p::LinkCost link{1e-5, 4e-11};
};

// The lesson's cluster: one device per rank, every pair joined by the same link.
p::Simulator flat_cluster(int n, p::LinkCost link) {
  p::ClusterSpec spec;
  spec.devices = spec.devices_per_node = n;
  spec.intra_node = spec.inter_node = link;
  spec.memory_bytes = 0;
  return p::Simulator(p::Cluster(spec));
}

std::vector<int> group_of(int n) {
  std::vector<int> group;
  for (int r = 0; r < n; ++r) group.push_back(r);
  return group;
}

// Rank r's tensor: element i is (i + 1) x 10^r, so the decimal digits of a sum say which ranks it holds.
std::vector<Tensor> rank_tensors(const Settings& s) {
  std::vector<Tensor> data;
  for (int r = 0; r < s.ranks; ++r) {
    std::vector<double> values;
    for (std::int64_t i = 0; i < s.elements; ++i) values.push_back(static_cast<double>(i + 1) * std::pow(10.0, r));
    data.push_back(Tensor::from_values(values, {s.elements}, DType::f64));
  }
  return data;
}

// The sum over ranks of element i: (i + 1) x 11...1 (n ones), exact in f64.
std::vector<double> sums(const Settings& s) {
  double ones = 0;
  for (int r = 0; r < s.ranks; ++r) ones += std::pow(10.0, r);
  std::vector<double> out;
  for (std::int64_t i = 0; i < s.elements; ++i) out.push_back(static_cast<double>(i + 1) * ones);
  return out;
}

// ---- 1. the collectives -----------------------------------------------------------------------------------

// One collective on a fresh simulator: its panel (one row per rank of `before`), a step showing the rows
// before (the cells the collective reads lit), the real call, a step writing the rows of `after` (which
// share storage with what the call wrote), and its row of the table.
void show_collective(Recorder& rec, const Settings& s, const std::string& scene, const std::string& name,
                       const std::vector<Tensor>& before, const std::vector<Tensor>& after, const std::vector<std::int64_t>& read,
                       const std::string& before_caption, const std::function<p::Issued(p::Simulator&, const std::vector<int>&)>& call,
                       const std::string& after_caption) {
  rec.add_scene(p::ranks_scene(scene, name + ": one row per rank", before));
  rec.step(before_caption, Level::op).read_cells(scene, read);
  p::Simulator sim = flat_cluster(s.ranks, s.link);
  const p::Issued issued = call(sim, group_of(s.ranks));
  const p::Execution run = sim.run();
  int messages = 0;
  for (int id : issued.tasks) messages += sim.task(id).tags.count("bytes") > 0 ? 1 : 0;
  const std::int64_t most = *std::max_element(issued.bytes_sent.begin(), issued.bytes_sent.end());
  trace::StepBuilder step = rec.step(after_caption + " (" + std::to_string(issued.steps) + " rounds, " + std::to_string(messages) +
                                         " messages, " + num(run.makespan * 1e6) + " us).",
                                     Level::op);
  p::write_ranks(step, scene, after);
  step.add_row("collectives", {name, std::to_string(issued.steps), std::to_string(messages), std::to_string(most), num(run.makespan * 1e6)});
}

void the_collectives(Recorder& rec, const Settings& s) {
  rec.section("The collectives");
  rec.add_scene(trace::table_scene("collectives", "The collectives on " + std::to_string(s.ranks) + " ranks of " +
                                                      std::to_string(s.elements) + " f64 elements (" +
                                                      std::to_string(s.elements * 8) + " bytes)",
                                   {"collective", "rounds", "messages", "most bytes sent by a rank", "simulated time (us)"}));
  const int n = s.ranks;
  const std::int64_t chunk = s.elements / n;
  const std::vector<double> total = sums(s);
  const std::string ones = num(total[0]);
  // The cells each collective reads: every cell, the root's row (broadcast), each rank's own chunk (all-gather).
  std::vector<std::int64_t> every_cell, root_row, own_chunks;
  for (std::int64_t c = 0; c < n * s.elements; ++c) {
    every_cell.push_back(c);
    if (c < s.elements) root_row.push_back(c);
    if ((c % s.elements) / chunk == c / s.elements) own_chunks.push_back(c);
  }

  std::vector<Tensor> data = rank_tensors(s);
  show_collective(rec, s, "broadcast", "broadcast", data, data, root_row,
                  "Before the broadcast from rank 0 each rank holds its own (i + 1) x 10^r; rank 0's row is about to be copied everywhere.",
                  [&](p::Simulator& sim, const std::vector<int>& g) { return p::broadcast(sim, g, data, 0); },
                  "After the broadcast every rank holds rank 0's row, copied down a binomial tree");
  for (const Tensor& t : data) check(t.to_vector() == rank_tensors(s)[0].to_vector(), "rank 0's row everywhere", "another row");

  data = rank_tensors(s);
  show_collective(rec, s, "reduce", "reduce", data, data, every_cell,
                  "Before the reduce to rank 0 each rank holds (i + 1) x 10^r, one decimal digit of the sum each.",
                  [&](p::Simulator& sim, const std::vector<int>& g) { return p::reduce(sim, g, data, 0); },
                  "After the reduce rank 0 holds the sum, " + ones + " x (i + 1), and the others the partial sums they sent on");
  check(data[0].to_vector() == total, "rank 0 holding the sum", "another row");

  for (AllReduceAlgorithm algorithm : {AllReduceAlgorithm::ring, AllReduceAlgorithm::tree}) {
    const std::string label = algorithm == AllReduceAlgorithm::ring ? "ring" : "tree";
    data = rank_tensors(s);
    show_collective(rec, s, "all_reduce_" + label, "all-reduce (" + label + ")", data, data, every_cell,
                    "Before the " + label + " all-reduce each rank holds (i + 1) x 10^r.",
                    [&](p::Simulator& sim, const std::vector<int>& g) { return p::all_reduce(sim, g, data, algorithm); },
                    "After the " + label + " all-reduce every rank holds the sum, " + ones + " x (i + 1)" +
                        (algorithm == AllReduceAlgorithm::ring ? ", chunk by chunk round the ring"
                                                               : ", reduced to rank 0 and broadcast back"));
    for (const Tensor& t : data) check(t.to_vector() == total, "every rank holding the sum (" + label + ")", "another row");
  }

  // Reduce-scatter in place: rank r's output is the view of its own chunk r.
  data = rank_tensors(s);
  std::vector<Tensor> owned;
  for (int r = 0; r < n; ++r) owned.push_back(data[static_cast<std::size_t>(r)].slice(0, r * chunk, (r + 1) * chunk));
  show_collective(rec, s, "reduce_scatter", "reduce-scatter", data, data, every_cell,
                  "Before the reduce-scatter each rank holds (i + 1) x 10^r, cut into " + std::to_string(n) + " chunks of " +
                      std::to_string(chunk) + ".",
                  [&](p::Simulator& sim, const std::vector<int>& g) { return p::reduce_scatter(sim, g, data, owned); },
                  "After the reduce-scatter rank r holds the sum of chunk r only, over its own chunk r, the rest of its row untouched");
  std::vector<std::vector<double>> reduced_chunks;
  for (int r = 0; r < n; ++r) {
    reduced_chunks.push_back(owned[static_cast<std::size_t>(r)].to_vector());
    check(reduced_chunks.back() == std::vector<double>(total.begin() + r * chunk, total.begin() + (r + 1) * chunk),
          "rank " + std::to_string(r) + " holding the sum of chunk " + std::to_string(r), "other values");
  }

  // All-gather in place, from what the reduce-scatter left: rank r starts with chunk r of the sum.
  std::vector<Tensor> gathered, mine;
  for (int r = 0; r < n; ++r) {
    std::vector<double> row(static_cast<std::size_t>(s.elements), 0.0);
    std::copy(reduced_chunks[static_cast<std::size_t>(r)].begin(), reduced_chunks[static_cast<std::size_t>(r)].end(), row.begin() + r * chunk);
    gathered.push_back(Tensor::from_values(row, {s.elements}, DType::f64));
    mine.push_back(gathered.back().slice(0, r * chunk, (r + 1) * chunk));
  }
  show_collective(rec, s, "all_gather", "all-gather", gathered, gathered, own_chunks,
                  "Before the all-gather rank r holds only chunk r, the sum the reduce-scatter left it.",
                  [&](p::Simulator& sim, const std::vector<int>& g) { return p::all_gather(sim, g, mine, gathered); },
                  "After the all-gather every rank holds every chunk, the whole sum: reduce-scatter then all-gather is the all-reduce");
  for (const Tensor& t : gathered) check(t.to_vector() == total, "every rank holding the sum after the all-gather", "another row");

  // All-to-all: chunk j of rank r goes to rank j, at position r.
  const std::vector<Tensor> in = rank_tensors(s);
  std::vector<Tensor> out;
  for (int r = 0; r < n; ++r) out.push_back(Tensor::zeros({s.elements}, DType::f64));
  show_collective(rec, s, "all_to_all", "all-to-all", in, out, every_cell,
                  "Before the all-to-all rank r holds " + std::to_string(n) + " chunks, chunk j meant for rank j.",
                  [&](p::Simulator& sim, const std::vector<int>& g) { return p::all_to_all(sim, g, in, out); },
                  "After the all-to-all rank j holds chunk j of every rank, rank r's at position r: ranks and chunks transposed");
  for (int j = 0; j < n; ++j) {
    const std::vector<double> got = out[static_cast<std::size_t>(j)].to_vector();
    for (int r = 0; r < n; ++r) {
      const std::vector<double> sent = in[static_cast<std::size_t>(r)].to_vector();
      for (std::int64_t k = 0; k < chunk; ++k) {
        check(got[static_cast<std::size_t>(r * chunk + k)] == sent[static_cast<std::size_t>(j * chunk + k)],
              "rank " + std::to_string(j) + " holding chunk " + std::to_string(j) + " of rank " + std::to_string(r), "other values");
      }
    }
  }
}

// ---- 2. the ring step by step -----------------------------------------------------------------------------

void ring_step_by_step(Recorder& rec, const Settings& s) {
  rec.section("The ring all-reduce step by step");
  const int n = s.ranks;
  std::vector<Tensor> data = rank_tensors(s);
  p::Simulator sim = flat_cluster(n, s.link);
  const p::RingRecord ring = p::record_ring_all_reduce(rec, sim, group_of(n), data, "ring_cells", "ring_timeline");

  const double S = static_cast<double>(s.elements * 8);
  for (const Tensor& t : data) check(t.to_vector() == sums(s), "every rank holding the sum after the ring", "another row");
  check(ring.issued.steps == 2 * (n - 1), "2(n - 1) = " + std::to_string(2 * (n - 1)) + " ring steps", std::to_string(ring.issued.steps));
  for (std::int64_t sent : ring.issued.bytes_sent) {
    check(static_cast<double>(sent) == 2.0 * (n - 1) / n * S, "2(n - 1)/n x S = " + num(2.0 * (n - 1) / n * S) + " bytes sent per rank",
          std::to_string(sent));
  }
  const double formula = 2.0 * (n - 1) * (s.link.alpha + S * s.link.beta / n);
  check(std::fabs(ring.makespan - formula) <= 1e-9 * formula, "the ring's time 2(n - 1)(alpha + S beta / n) = " + num(formula * 1e6) + " us",
        num(ring.makespan * 1e6) + " us");
  rec.step("After 2(n - 1) = " + std::to_string(ring.issued.steps) + " steps every rank holds the sum; each sent " +
               std::to_string(2 * (n - 1)) + " messages of S/n = " + num(S / n) + " bytes, 2(n - 1)/n x S = " +
               std::to_string(ring.issued.bytes_sent[0]) + " bytes in all, in " + num(ring.makespan * 1e6) +
               " us = 2(n - 1)(alpha + S beta / n).",
           Level::op);
}

// ---- 3. the alpha-beta cost ---------------------------------------------------------------------------------

// The published cost of each all-reduce (Thakur, Rabenseifner and Gropp 2005), as
//   T = rounds x alpha + volume x S beta
// rounds: messages in sequence; volume: bytes in sequence per byte of S; a rank sends at most sent x S.
struct Formula {
  std::string name, text;
  double rounds = 0, volume = 0, sent = 0;
  double seconds(double S, p::LinkCost link) const { return rounds * link.alpha + volume * S * link.beta; }
  std::string the() const { return name == "recursive doubling" ? name : "the " + name; }  // in a sentence
};

Formula formula(AllReduceAlgorithm a, int n) {
  const double log2n = std::ceil(std::log2(static_cast<double>(n))), ring = 2.0 * (n - 1);
  switch (a) {
    case AllReduceAlgorithm::ring: return {"ring", "2(n - 1)(alpha + S beta / n)", ring, ring / n, ring / n};
    case AllReduceAlgorithm::tree: return {"tree", "2 ceil(log2 n)(alpha + S beta)", 2 * log2n, 2 * log2n, log2n};
    case AllReduceAlgorithm::recursive_doubling: return {"recursive doubling", "log2 n (alpha + S beta)", log2n, log2n, log2n};
  }
  return {};
}

std::string capitalised(std::string text) {
  text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

// Recursive doubling pairs r with r xor 2^k: it runs only on a power-of-two number of ranks.
std::vector<AllReduceAlgorithm> algorithms(int n) {
  std::vector<AllReduceAlgorithm> out{AllReduceAlgorithm::ring, AllReduceAlgorithm::tree};
  if ((n & (n - 1)) == 0) out.push_back(AllReduceAlgorithm::recursive_doubling);
  return out;
}

// The sizes of the sweep: S = n x 2^k bytes, so that n chunks divide every S exactly; x = log2 S.
std::vector<double> sweep_sizes(int n) {
  std::vector<double> sizes;
  for (int k = 0; k <= 26; ++k) sizes.push_back(static_cast<double>(n) * std::ldexp(1.0, k));
  return sizes;
}

std::vector<double> log2_of(const std::vector<double>& sizes) {
  std::vector<double> xs;
  for (double S : sizes) xs.push_back(std::log2(S));
  return xs;
}

void alpha_beta_cost(Recorder& rec, const Settings& s) {
  rec.section("The alpha-beta cost");
  const int n = s.ranks;
  const double S = static_cast<double>(s.bytes);
  rec.add_scene(trace::plot_scene("cost", "All-reduce time on " + std::to_string(n) + " ranks, alpha = " + num(s.link.alpha * 1e6) +
                                              " us, 1/beta = " + num(1e-9 / s.link.beta) + " GB/s",
                                  "log2 S (bytes)", "time (us)"));
  rec.add_scene(trace::table_scene("cost_at_bytes", "One all-reduce of S = " + bytes_text(S) + " on " + std::to_string(n) + " ranks",
                                   {"algorithm", "time formula", "measured (us)", "formula (us)", "bytes sent per rank", "bytes formula"}));
  const std::vector<double> sizes = sweep_sizes(n);
  for (AllReduceAlgorithm a : algorithms(n)) {
    const Formula f = formula(a, n);
    std::vector<double> measured, predicted;
    double worst = 0;
    for (double size : sizes) {
      measured.push_back(p::all_reduce_cost(a, n, static_cast<std::int64_t>(size), s.link).seconds * 1e6);
      predicted.push_back(f.seconds(size, s.link) * 1e6);
      worst = std::max(worst, std::fabs(measured.back() - predicted.back()) / predicted.back());
    }
    check(worst <= 1e-9, f.the() + " measured equal to " + f.text + " within 1e-9", sci(worst));
    const p::CollectiveCost at = p::all_reduce_cost(a, n, s.bytes, s.link);
    // When n does not divide S the ring's largest chunk, ceil(S/n), sets its pace: up to a byte more per step.
    const bool ring = a == AllReduceAlgorithm::ring;
    check(std::fabs(at.seconds - f.seconds(S, s.link)) <= (ring ? f.rounds * s.link.beta : 0) + 1e-9 * at.seconds,
          f.the() + " at S = bytes taking " + f.text, num(at.seconds * 1e6) + " us");
    check(std::fabs(static_cast<double>(at.bytes_sent_per_rank) - f.sent * S) <= (ring ? n : 0),
          f.the() + " sending " + num(f.sent * S) + " bytes per rank", std::to_string(at.bytes_sent_per_rank));
    rec.step(capitalised(f.the()) + ": the simulator's time lies on " + f.text + " at every size (within " + sci(worst) + "), and at S = " +
                 bytes_text(S) + " it takes " + num(at.seconds * 1e6) + " us, each rank sending " +
                 bytes_text(static_cast<double>(at.bytes_sent_per_rank)) + ".",
             Level::op)
        .set_series("cost", f.name + " (simulated)", log2_of(sizes), measured)
        .set_series("cost", f.name + " formula", log2_of(sizes), predicted)
        .add_row("cost_at_bytes", {f.name, f.text, num(at.seconds * 1e6), num(f.seconds(S, s.link) * 1e6),
                                   std::to_string(at.bytes_sent_per_rank), num(f.sent * S)});
  }
  if (algorithms(n).size() < 3) {
    rec.step("Recursive doubling pairs rank r with r xor 2^k, so it needs a power-of-two number of ranks: with " + std::to_string(n) +
                 " it is left out.",
             Level::op);
  }
}

// ---- 4. choosing an algorithm -----------------------------------------------------------------------------

// The smallest S (bytes) for which the ring is faster than `other`, measured on the simulator by
// doubling then bisection; -1 when it is not faster up to 2^40 bytes.
std::int64_t measured_crossover(AllReduceAlgorithm other, int n, p::LinkCost link) {
  auto ring_wins = [&](std::int64_t S) {
    return p::all_reduce_cost(AllReduceAlgorithm::ring, n, S, link).seconds < p::all_reduce_cost(other, n, S, link).seconds;
  };
  if (ring_wins(0)) return 0;
  std::int64_t lo = 0, hi = 1;
  while (!ring_wins(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > (std::int64_t{1} << 40)) return -1;
  }
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (ring_wins(mid) ? hi : lo) = mid;
  }
  return hi;
}

// Where the two formulas meet: alpha (rounds_ring - rounds_other) = S beta (volume_other - volume_ring);
// -1 when the ring never moves fewer bytes in sequence, so never wins.
double formula_crossover(AllReduceAlgorithm other, int n, p::LinkCost link) {
  const Formula ring = formula(AllReduceAlgorithm::ring, n), o = formula(other, n);
  if (o.volume <= ring.volume) return -1;
  return std::max(0.0, link.alpha * (ring.rounds - o.rounds) / (link.beta * (o.volume - ring.volume)));
}

std::string crossover_text(double S) {
  if (S < 0) return "never";
  return num(std::round(S)) + " bytes" + (S >= 1024 ? " (" + bytes_text(S) + ")" : "");
}

void choosing(Recorder& rec, const Settings& s) {
  rec.section("Choosing an algorithm");
  const int n = s.ranks;
  const std::vector<double> sizes = sweep_sizes(n);
  std::vector<AllReduceAlgorithm> others = algorithms(n);
  others.erase(others.begin());  // all but the ring
  // Each crossover is measured first: it is a marker on the plot from the start.
  std::vector<std::int64_t> measured;
  trace::Scene ratio = trace::plot_scene("ratio", "All-reduce time over the ring's (above 1: the ring is faster)", "log2 S (bytes)",
                                         "time / ring time");
  for (AllReduceAlgorithm other : others) {
    measured.push_back(measured_crossover(other, n, s.link));
    if (measured.back() >= 0) {
      ratio.plot.thresholds.push_back({"ring beats " + formula(other, n).name, std::log2(std::max<double>(1, static_cast<double>(measured.back())))});
    }
  }
  rec.add_scene(ratio);
  rec.add_scene(trace::table_scene("crossover", "Where the ring starts to win, " + std::to_string(n) + " ranks",
                                   {"link", "alpha (us)", "bandwidth (GB/s)", "ring beats tree from", "formula",
                                    "ring beats recursive doubling from", "formula", "fastest at " + bytes_text(static_cast<double>(s.bytes))}));

  for (std::size_t o = 0; o < others.size(); ++o) {
    const Formula f = formula(others[o], n);
    std::vector<double> ratios;
    for (double size : sizes) {
      const auto bytes = static_cast<std::int64_t>(size);
      ratios.push_back(p::all_reduce_cost(others[o], n, bytes, s.link).seconds /
                       p::all_reduce_cost(AllReduceAlgorithm::ring, n, bytes, s.link).seconds);
    }
    const double found = static_cast<double>(measured[o]), predicted = formula_crossover(others[o], n, s.link);
    check((found < 0) == (predicted < 0) && (found < 0 || std::fabs(found - predicted) <= n + 1),
          "the measured crossover with " + f.the() + " at the formula's " + crossover_text(predicted), crossover_text(found));
    rec.step(found < 0 ? "Against " + f.the() + " the ring never wins on " + std::to_string(n) +
                             " ranks: it sends as many bytes in sequence and pays more latency."
                       : "Against " + f.the() + " the ring wins from S = " + crossover_text(found) + " on, measured by bisection, where the formula says " +
                             num(std::round(predicted)) + " bytes: below it latency rules, above it bandwidth.",
             Level::op)
        .set_series("ratio", f.name + " / ring", log2_of(sizes), ratios);
  }

  // The same question on the two links of the default cluster, and on this lesson's link.
  const p::ClusterSpec cluster;
  const std::vector<std::pair<std::string, p::LinkCost>> links{
      {"intra-node link, NVLink-like", cluster.intra_node}, {"inter-node link, InfiniBand-like", cluster.inter_node}, {"lesson's link", s.link}};
  for (const auto& [name, link] : links) {
    std::vector<std::string> row{name, num(link.alpha * 1e6), num(1e-9 / link.beta)};
    for (AllReduceAlgorithm other : {AllReduceAlgorithm::tree, AllReduceAlgorithm::recursive_doubling}) {
      const bool runs = std::find(others.begin(), others.end(), other) != others.end();
      row.push_back(runs ? crossover_text(static_cast<double>(measured_crossover(other, n, link))) : "-");
      row.push_back(runs ? crossover_text(formula_crossover(other, n, link)) : "-");
    }
    AllReduceAlgorithm best = AllReduceAlgorithm::ring;
    for (AllReduceAlgorithm a : algorithms(n)) {
      if (p::all_reduce_cost(a, n, s.bytes, link).seconds < p::all_reduce_cost(best, n, s.bytes, link).seconds) best = a;
    }
    const std::string fastest = formula(best, n).the() + " (" + num(p::all_reduce_cost(best, n, s.bytes, link).seconds * 1e6) + " us)";
    row.push_back(fastest);
    rec.step("On the " + name + " (alpha = " + num(link.alpha * 1e6) + " us, " + num(1e-9 / link.beta) + " GB/s), the ring beats the tree from " +
                 row[3] + ", and the fastest all-reduce of " + bytes_text(static_cast<double>(s.bytes)) + " is " + fastest + ".",
             Level::op)
        .add_row("crossover", row);
  }
}

trace::Recording collectives(const Params& params) {
  Recorder rec("10-collectives", "Collectives: ring and tree all-reduce, and the alpha-beta cost");
  Settings s;
  const std::int64_t ranks = param_int(params, "ranks");
  s.elements = param_int(params, "elements");
  s.bytes = param_int(params, "bytes");
  s.link = {param_double(params, "alpha"), param_double(params, "beta")};
  if (ranks < 2 || ranks > 8) throw Error("lesson 10 parameter ranks", "2..8 (a sum's digits name its ranks)", std::to_string(ranks));
  s.ranks = static_cast<int>(ranks);
  if (s.elements < s.ranks || s.elements > 64 || s.elements % s.ranks != 0) {
    throw Error("lesson 10 parameter elements", "a multiple of ranks (" + std::to_string(s.ranks) + ") up to 64, so every chunk is equal",
                std::to_string(s.elements));
  }
  if (s.bytes < 1 || s.bytes > (std::int64_t{1} << 34)) throw Error("lesson 10 parameter bytes", "1..2^34", std::to_string(s.bytes));
  if (!(s.link.alpha >= 0 && s.link.alpha <= 1e-2)) throw Error("lesson 10 parameter alpha", "0..0.01 seconds per message", num(s.link.alpha));
  if (!(s.link.beta > 0 && s.link.beta <= 1e-6)) throw Error("lesson 10 parameter beta", "0 < beta <= 1e-6 seconds per byte", num(s.link.beta));

  the_collectives(rec, s);
  ring_step_by_step(rec, s);
  alpha_beta_cost(rec, s);
  choosing(rec, s);
  return rec.take();
}

}  // namespace

Lesson lesson_10_collectives() {
  return {"10-collectives",
          "Collectives: ring and tree all-reduce, and the alpha-beta cost",
          "Part II, distributed training (simulated)",
          {{"ranks", "4", "n, the ranks of the group (2..8)"},
           {"elements", "8", "elements per rank of the small tensors drawn (a multiple of ranks, up to 64)"},
           {"bytes", "26214400", "S, the message size of the cost table (25 MiB: a DDP bucket)"},
           {"alpha", "1e-05", "alpha, the link's latency in seconds per message (InfiniBand-like: 10 us)"},
           {"beta", "4e-11", "beta, the link's seconds per byte (1 / bandwidth; 25 GB/s: 4e-11)"}},
          lesson_text_10_collectives,
          collectives};
}

}  // namespace gb::lessons
