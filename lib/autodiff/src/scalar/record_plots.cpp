// record_plots.cpp: the U curve of finite differences and the expression-swell meter.
#include <cmath>

#include "gb/autodiff/recordings.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

// log10 of an error; an exact 0 (it happens at lucky h) is drawn at the floor of double precision.
double log10_of(double v) { return std::log10(std::max(v, 1e-17)); }

}  // namespace

void record_error_versus_h(trace::Recorder& rec, const std::string& plot, const std::vector<ErrorAtH>& curve) {
  if (curve.empty()) throw Error("record_error_versus_h", "a curve with points", "none");
  rec.add_scene(trace::plot_scene(plot, "Error of finite differences against the step h (log10 both)", "log10 h",
                                  "log10 |error|"));
  trace::PlotScene& scene = rec.recording().scenes.back().plot;
  scene.series = {{"forward", trace::SeriesKind::line, {}, {}}, {"backward", trace::SeriesKind::line, {}, {}},
                  {"central", trace::SeriesKind::line, {}, {}}};
  for (const ErrorAtH& p : curve) {
    const double x = std::log10(p.h);
    rec.step("h = " + short_number(p.h) + ": forward error " + short_number(p.forward_error) + ", central error " +
                 short_number(p.central_error) + ".",
             trace::Level::element)
        .add_point(plot, "forward", x, log10_of(p.forward_error))
        .add_point(plot, "backward", x, log10_of(p.backward_error))
        .add_point(plot, "central", x, log10_of(p.central_error));
  }
}

void record_swell(trace::Recorder& rec, const std::string& plot, const std::string& table,
                  const std::vector<SwellRow>& rows) {
  if (rows.empty()) throw Error("record_swell", "rows for n = 1..N", "none");
  rec.add_scene(trace::plot_scene(plot, "Expression swell of the logistic map (log10 of node counts)", "n",
                                  "log10 nodes"));
  trace::PlotScene& scene = rec.recording().scenes.back().plot;
  scene.series = {{"l_n (tree)", trace::SeriesKind::line, {}, {}},
                  {"dl_n/dx, rules only", trace::SeriesKind::line, {}, {}},
                  {"dl_n/dx, simplified", trace::SeriesKind::line, {}, {}},
                  {"l_n (graph, what AD evaluates)", trace::SeriesKind::line, {}, {}}};
  rec.add_scene(trace::table_scene(table, "Node counts", {"n", "l_n", "dl_n/dx", "simplified", "graph"}));
  for (const SwellRow& r : rows) {
    const double n = r.n;
    rec.step("n = " + std::to_string(r.n) + ": l_n has " + std::to_string(r.expression_nodes) +
                 " nodes written out, its derivative " + std::to_string(r.derivative_nodes) + " (" +
                 std::to_string(r.simplified_derivative_nodes) + " simplified); the graph has " +
                 std::to_string(r.graph_nodes) + ".",
             trace::Level::op)
        .add_point(plot, "l_n (tree)", n, std::log10(static_cast<double>(r.expression_nodes)))
        .add_point(plot, "dl_n/dx, rules only", n, std::log10(static_cast<double>(r.derivative_nodes)))
        .add_point(plot, "dl_n/dx, simplified", n, std::log10(static_cast<double>(r.simplified_derivative_nodes)))
        .add_point(plot, "l_n (graph, what AD evaluates)", n, std::log10(static_cast<double>(r.graph_nodes)))
        .add_row(table, {std::to_string(r.n), std::to_string(r.expression_nodes), std::to_string(r.derivative_nodes),
                         std::to_string(r.simplified_derivative_nodes), std::to_string(r.graph_nodes)});
  }
}

}  // namespace gb::autodiff
