// recordings.hpp: what the autodiff lessons show, recorded while the real code runs.
//
//   trace_graph_scene      the computation graph of an evaluation trace (value and gradient badges)
//   record_primal_rows     the primal rows top down (with the tangent column in forward mode)
//   record_adjoint_rows    the adjoint rows bottom up with their path products, the tape cursor
//                          moving in reverse and the gradient badges filling in
//   record_error_versus_h  the U curve of finite differences (log10 of h and of the error)
//   record_swell           node counts of the logistic map and its derivatives (log10 of the counts)
// The plots show log10 values because the Plot scene has linear axes.
#pragma once

#include <string>
#include <vector>

#include "gb/autodiff/evaluation_trace.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/swell.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::autodiff {

trace::Scene trace_graph_scene(const std::string& id, const std::string& title, const EvaluationTrace& t);
// The tape as a text listing, one node per line (line k + 1 = node k), for a cursor to move over.
trace::Scene tape_text_scene(const std::string& id, const std::string& title, const EvaluationTrace& t);

// Adds the table scene `table` and one step per row, top down; sets the value badges of `graph`.
void record_primal_rows(trace::Recorder& rec, const EvaluationTrace& t, const std::string& table,
                        const std::string& graph, bool with_tangent);
// Adds the table scene `table` and one step per row, bottom up (seed first); sets the gradient
// badges of `graph` and moves the cursor of the text scene `tape` (empty: none).
void record_adjoint_rows(trace::Recorder& rec, const EvaluationTrace& t, const std::string& table,
                         const std::string& graph, const std::string& tape);

// Adds the plot scene `plot` (series forward, backward, central: log10 error against log10 h),
// one step per h from large to small.
void record_error_versus_h(trace::Recorder& rec, const std::string& plot, const std::vector<ErrorAtH>& curve);
// Adds the plot scene `plot` (log10 node counts against n) and the table scene `table`, one step per n.
void record_swell(trace::Recorder& rec, const std::string& plot, const std::string& table,
                  const std::vector<SwellRow>& rows);

}  // namespace gb::autodiff
