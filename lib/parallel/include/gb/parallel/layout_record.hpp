// layout_record.hpp: lesson 15's drawings: the 3D device mesh coloured by group, a tensor's layout as
// a grid of owners changing collective by collective, a redistribution's messages on a timeline, and
// the strategy search's table. Everything drawn comes from the objects passed in.
#pragma once

#include <string>

#include "gb/parallel/layout.hpp"
#include "gb/parallel/mesh.hpp"
#include "gb/parallel/redistribute.hpp"
#include "gb/parallel/strategy.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// Tensor scenes "<scene_id>" (the device ids, one row per (pp, dp), one column per tp rank) and
// "<scene_id>_tp", "_dp", "_pp" (each device's group number of that kind), and one step per kind that
// writes the group numbers, captioned with the groups and whether TP stays inside a node.
void record_mesh(trace::Recorder& rec, const std::string& scene_id, const Mesh& mesh, int devices_per_node);

// The owner grid of a 2-D layout: each cell holds the lowest device that holds it (at coordinate 0 of
// any partial axis). Throws gb::Error for a layout that is not 2-D.
Tensor layout_owners(const Layout& layout);

// Two Tensor scenes of owners, "<scene_id>_before" (plan.from) and "<scene_id>_after" (starting as
// plan.from too), and one step per plan step that rewrites the after-grid and names the collective,
// its groups and its measured time and bytes (cost from time_redistribution).
void record_layout_diff(trace::Recorder& rec, const std::string& scene_id, const RedistributionPlan& plan,
                        const RedistributionCost& cost);

// A Timeline scene (lanes "device<d>", unit us) with one span per message, one step per plan step.
void record_redistribution_timeline(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                    const RedistributionPlan& plan, const RedistributionCost& cost);

// A Table scene of the search: one step per layer adding a row per candidate (its compute and own
// collective, memory, the redistribution into it and the best chain ending in it), then the choice.
void record_strategy_table(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                           const StrategyProblem& problem, const StrategyChoice& choice);

}  // namespace gb::parallel
