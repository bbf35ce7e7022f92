// strategy_search.cpp: the dynamic program of strategy.hpp over a chain of layers, its brute-force
// check, and the evaluation of one assignment. All three read the same cost tables, and add the
// costs in the same order (input, layer 0, edge, layer 1, ..., output), so their sums agree exactly.
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/redistribute.hpp"
#include "gb/parallel/strategy.hpp"

namespace gb::parallel {

namespace {

// Every cost the search needs, computed once: [layer][candidate], edges [layer][from][to].
struct CostTables {
  std::vector<std::vector<bool>> fits;
  std::vector<std::vector<LayerCost>> layer;
  std::vector<double> input;                          // replicated data -> layer 0's X (forward only)
  std::vector<std::vector<std::vector<double>>> edge;  // layer i's Y -> layer i+1's X (forward + backward)
  std::vector<double> output;                         // last Y -> S(0) for the loss (forward + backward)
};

void check_problem(const StrategyProblem& p) {
  if (p.layers.empty()) throw Error("strategy search", "at least one layer", "none");
  if (p.batch < 1 || p.devices < 1 || p.devices > 4096) {
    throw Error("strategy search", "batch >= 1 and 1..4096 devices", "batch " + std::to_string(p.batch) + ", " + std::to_string(p.devices) + " devices");
  }
  if (p.candidates.empty()) throw Error("strategy search", "at least one candidate strategy", "none");
  if (p.memory_limit < 0 || p.element_bytes < 1 || p.optimizer_bytes < 0) {
    throw Error("strategy search", "memory_limit >= 0, element_bytes >= 1, optimizer_bytes >= 0",
                std::to_string(p.memory_limit) + ", " + std::to_string(p.element_bytes) + ", " + std::to_string(p.optimizer_bytes));
  }
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    if (p.layers[i].in_features < 1 || p.layers[i].out_features < 1) throw Error("strategy search", "features >= 1", "layer " + std::to_string(i));
    if (i + 1 < p.layers.size() && p.layers[i].out_features != p.layers[i + 1].in_features) {
      throw Error("strategy search", "a chain: layer " + std::to_string(i) + "'s out_features equal to the next layer's in_features",
                  std::to_string(p.layers[i].out_features) + " and " + std::to_string(p.layers[i + 1].in_features));
    }
  }
}

CostTables build_tables(const StrategyProblem& p) {
  check_problem(p);
  const int L = static_cast<int>(p.layers.size()), S = static_cast<int>(p.candidates.size());
  const Layout data{{p.devices}, {-1, -1}, {p.batch, p.layers[0].in_features}, {}};
  // The loss is per sample on S(0), as in data parallelism; replicated when the batch does not divide.
  const Layout loss{{p.devices}, {p.batch % p.devices == 0 ? 0 : -1, -1}, {p.batch, p.layers.back().out_features}, {}};
  CostTables t;
  t.fits.assign(static_cast<std::size_t>(L), std::vector<bool>(static_cast<std::size_t>(S)));
  t.layer.assign(static_cast<std::size_t>(L), std::vector<LayerCost>(static_cast<std::size_t>(S)));
  t.edge.assign(static_cast<std::size_t>(std::max(L - 1, 0)),
                std::vector<std::vector<double>>(static_cast<std::size_t>(S), std::vector<double>(static_cast<std::size_t>(S))));
  t.input.assign(static_cast<std::size_t>(S), 0);
  t.output.assign(static_cast<std::size_t>(S), 0);
  for (int i = 0; i < L; ++i)
    for (int s = 0; s < S; ++s) {
      const LayerStrategy st = p.candidates[static_cast<std::size_t>(s)];
      t.fits[i][s] = strategy_fits(p, i, st);
      if (t.fits[i][s]) t.layer[i][s] = layer_cost(p, i, st);
    }
  for (int s = 0; s < S; ++s) {
    const LayerStrategy st = p.candidates[static_cast<std::size_t>(s)];
    if (t.fits[0][s]) t.input[s] = time_redistribution(plan_redistribution(data, input_layout(p, 0, st), p.element_bytes), p.cluster).seconds;
    if (t.fits[L - 1][s]) t.output[s] = redistribution_seconds(p, output_layout(p, L - 1, st), loss);
  }
  for (int i = 0; i + 1 < L; ++i)
    for (int a = 0; a < S; ++a)
      for (int b = 0; b < S; ++b)
        if (t.fits[i][a] && t.fits[i + 1][b]) {
          t.edge[i][a][b] = redistribution_seconds(p, output_layout(p, i, p.candidates[a]), input_layout(p, i + 1, p.candidates[b]));
        }
  return t;
}

bool within(const StrategyProblem& p, std::int64_t bytes) { return p.memory_limit == 0 || bytes <= p.memory_limit; }

// The sum in the search's order, for an assignment given as candidate indices.
StrategyChoice evaluate(const StrategyProblem& p, const CostTables& t, const std::vector<int>& pick) {
  StrategyChoice c;
  for (std::size_t i = 0; i < pick.size(); ++i) {
    const int s = pick[i];
    c.seconds += i == 0 ? t.input[s] : t.edge[i - 1][pick[i - 1]][s];
    c.seconds += t.layer[i][s].seconds();
    c.memory_bytes += t.layer[i][s].memory_bytes();
    c.strategies.push_back(p.candidates[static_cast<std::size_t>(s)]);
  }
  c.seconds += t.output[pick.back()];
  return c;
}

std::string limit_text(const StrategyProblem& p) { return std::to_string(p.memory_limit) + " bytes per device"; }

}  // namespace

StrategyChoice evaluate_strategy(const StrategyProblem& p, const std::vector<LayerStrategy>& strategies) {
  const CostTables t = build_tables(p);
  if (strategies.size() != p.layers.size()) {
    throw Error("evaluate_strategy", std::to_string(p.layers.size()) + " strategies, one per layer", std::to_string(strategies.size()));
  }
  std::vector<int> pick;
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    const auto it = std::find(p.candidates.begin(), p.candidates.end(), strategies[i]);
    if (it == p.candidates.end() || !t.fits[i][it - p.candidates.begin()]) {
      throw Error("evaluate_strategy", "a candidate strategy that fits layer " + std::to_string(i), layer_strategy_name(strategies[i]));
    }
    pick.push_back(static_cast<int>(it - p.candidates.begin()));
  }
  return evaluate(p, t, pick);
}

StrategyChoice brute_force_strategy(const StrategyProblem& p) {
  const CostTables t = build_tables(p);
  const int L = static_cast<int>(p.layers.size()), S = static_cast<int>(p.candidates.size());
  if (std::pow(S, L) > (1 << 20)) throw Error("brute_force_strategy", "at most 2^20 combinations", std::to_string(S) + "^" + std::to_string(L));
  std::vector<int> pick(static_cast<std::size_t>(L), 0);
  StrategyChoice best;
  bool found = false;
  for (;;) {
    bool fits = true;
    for (int i = 0; i < L; ++i) fits = fits && t.fits[i][pick[i]];
    if (fits) {
      StrategyChoice c = evaluate(p, t, pick);
      if (within(p, c.memory_bytes) && (!found || c.seconds < best.seconds)) {
        best = c;
        found = true;
      }
    }
    int i = L - 1;  // the next combination, like an odometer
    while (i >= 0 && ++pick[i] == S) pick[i--] = 0;
    if (i < 0) break;
  }
  if (!found) throw Error("brute_force_strategy", "an assignment within " + limit_text(p), "none fits");
  return best;
}

StrategyChoice search_strategy(const StrategyProblem& p) {
  const CostTables t = build_tables(p);
  const int L = static_cast<int>(p.layers.size()), S = static_cast<int>(p.candidates.size());
  // A partial chain ending in (layer, strategy): its seconds, bytes, and the entry it extends.
  struct Entry {
    double seconds;
    std::int64_t bytes;
    int previous_strategy, previous_entry;
  };
  std::vector<std::vector<std::vector<Entry>>> front(static_cast<std::size_t>(L), std::vector<std::vector<Entry>>(static_cast<std::size_t>(S)));
  for (int i = 0; i < L; ++i) {
    for (int s = 0; s < S; ++s) {
      if (!t.fits[i][s]) continue;
      std::vector<Entry> grown;
      const LayerCost& c = t.layer[i][s];
      if (i == 0) grown.push_back({t.input[s] + c.seconds(), c.memory_bytes(), -1, -1});
      for (int a = 0; i > 0 && a < S; ++a)
        for (int e = 0; e < static_cast<int>(front[i - 1][a].size()); ++e) {
          const Entry& from = front[i - 1][a][e];
          grown.push_back({from.seconds + t.edge[i - 1][a][s] + c.seconds(), from.bytes + c.memory_bytes(), a, e});
        }
      // Memory only grows along the chain, so a partial chain over the limit can be dropped now; of the
      // rest keep the Pareto front: sorted by bytes, each kept entry strictly faster than the last.
      std::erase_if(grown, [&](const Entry& e) { return !within(p, e.bytes); });
      std::stable_sort(grown.begin(), grown.end(), [](const Entry& x, const Entry& y) {
        return x.bytes != y.bytes ? x.bytes < y.bytes : x.seconds < y.seconds;
      });
      for (const Entry& e : grown)
        if (front[i][s].empty() || e.seconds < front[i][s].back().seconds) front[i][s].push_back(e);
    }
  }
  // The cheapest complete chain, then walk the back pointers.
  int best_s = -1, best_e = -1;
  double best = 0;
  for (int s = 0; s < S; ++s)
    for (int e = 0; e < static_cast<int>(front[L - 1][s].size()); ++e) {
      const double total = front[L - 1][s][e].seconds + t.output[s];
      if (best_s < 0 || total < best) std::tie(best, best_s, best_e) = std::tuple{total, s, e};
    }
  if (best_s < 0) throw Error("search_strategy", "an assignment within " + limit_text(p), "none fits");
  std::vector<int> pick(static_cast<std::size_t>(L));
  for (int i = L - 1, s = best_s, e = best_e; i >= 0; --i) {
    pick[i] = s;
    const Entry& entry = front[i][s][e];
    s = entry.previous_strategy;
    e = entry.previous_entry;
  }
  StrategyChoice choice = evaluate(p, t, pick);
  // The table: for every (layer, strategy) its fastest partial chain within the limit.
  for (int i = 0; i < L; ++i)
    for (int s = 0; s < S; ++s) {
      StrategyCell cell;
      cell.layer = i;
      cell.strategy = p.candidates[static_cast<std::size_t>(s)];
      cell.feasible = !front[i][s].empty();
      cell.front_size = static_cast<int>(front[i][s].size());
      if (t.fits[i][s]) cell.cost = t.layer[i][s];
      if (cell.feasible) {
        const Entry& fastest = front[i][s].back();  // the front is sorted by bytes, so by falling seconds
        cell.best_seconds = fastest.seconds;
        cell.best_bytes = fastest.bytes;
        cell.previous = fastest.previous_strategy;
        cell.edge_seconds = i == 0 ? t.input[s] : t.edge[i - 1][fastest.previous_strategy][s];
      }
      choice.table.push_back(cell);
    }
  return choice;
}

}  // namespace gb::parallel
