// record_filters.cpp: the recordings of lesson 26's structured pruning: each filter's L1 norm as a
// bar with the removed ones marked, and what the models cost before and after.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/record.hpp"
#include "gb/core/error.hpp"
#include "record_text.hpp"

namespace gb::compress {

using detail::fixed;
using detail::num;

void record_filter_norms(trace::Recorder& rec, const Tensor& conv_weight, const std::vector<std::int64_t>& removed,
                         const std::string& layer, const std::string& scene_id) {
  const std::vector<double> norms = filter_l1_norms(conv_weight).to_vector();
  const auto filters = static_cast<std::int64_t>(norms.size());
  std::vector<double> edges, kept = norms, pruned(norms.size(), 0.0);
  for (std::int64_t i = 0; i <= filters; ++i) edges.push_back(static_cast<double>(i));
  std::string list;
  for (std::int64_t f : removed) {
    if (f < 0 || f >= filters)
      throw Error("record_filter_norms", "removed filters in 0.." + std::to_string(filters - 1), std::to_string(f));
    const auto i = static_cast<std::size_t>(f);
    pruned[i] = norms[i];
    kept[i] = 0.0;
    list += (list.empty() ? "" : ", ") + std::to_string(f);
  }
  trace::Scene scene = trace::plot_scene(scene_id, "Filter L1 norms, conv " + layer,
                                         "filter oc", "L1 norm");
  scene.plot.series = {{"kept", trace::SeriesKind::histogram, {}, {}}, {"pruned", trace::SeriesKind::histogram, {}, {}}};
  rec.add_scene(std::move(scene));
  const auto [smallest, largest] = std::minmax_element(norms.begin(), norms.end());
  rec.step("Each of the " + std::to_string(filters) + " filters of conv " + layer + " gets its L1 norm, from " + num(*smallest) +
               " to " + num(*largest) + ": a filter with small weights contributes little to any output.",
           trace::Level::op)
      .set_series(scene_id, "kept", edges, norms);
  rec.step("The " + std::to_string(removed.size()) + " filters of smallest norm (" + (list.empty() ? "none" : list) +
               ") are removed, with their output channels and the next layer's matching inputs.",
           trace::Level::op)
      .set_series(scene_id, "kept", edges, kept)
      .set_series(scene_id, "pruned", edges, pruned);
}

void record_cost_table(trace::Recorder& rec, const std::vector<CostRow>& rows, const std::string& scene_id) {
  rec.add_scene(trace::table_scene(scene_id, "Cost per image, accuracy",
                                   {"model", "params", "nonzero", "MACs", "acc. pruned", "acc. tuned"}));
  for (const CostRow& row : rows) {
    rec.step(row.model + " has " + std::to_string(row.cost.parameters) + " parameters (" +
                 std::to_string(row.cost.nonzero_parameters) + " nonzero) and does " + std::to_string(row.cost.macs) +
                 " multiply-adds per image; it classifies " + fixed(row.accuracy, 4) + " of the test digits.",
             trace::Level::op)
        .add_row(scene_id, {row.model, std::to_string(row.cost.parameters), std::to_string(row.cost.nonzero_parameters),
                            std::to_string(row.cost.macs), fixed(row.accuracy_pruned, 4), fixed(row.accuracy, 4)});
  }
}

}  // namespace gb::compress
