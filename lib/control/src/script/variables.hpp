// variables.hpp: what the lowering needs to know about the variables of a block before it turns
// the block into a subgraph: which names it assigns, which it reads, which are live (read later
// before being assigned again), and, for an if, which values flow in and out of its two branches.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ast.hpp"

namespace gb::control::script {

using Names = std::set<std::string>;
using Assignments = std::map<std::string, SourcePos>;  // name -> its first assignment

void add_reads(const Expr& expr, Names& reads);       // every name the expression reads
Assignments assignments_in(const Block& block);      // every name assigned anywhere in it (nested too)
Names reads_in(const Block& block);                  // every name read anywhere in it (nested too)
// The names the block assigns whichever way its ifs go (a loop may run zero times: it counts not).
Names assigned_on_every_path(const Block& block);

// Live-variable analysis, backwards: the names whose value before `stmt` (or `block`) may still be
// read, given the names live after it. A loop's body may run again, so what it reads is live on
// entry as well as what is live after the loop.
Names live_before(const Stmt& stmt, const Names& live_after);
Names live_before(const Block& block, const Names& live_after);

// The free names of a script: read before any assignment in the text, in order of first use (with
// where they are first read). These become the graph's inputs.
std::vector<std::pair<std::string, SourcePos>> free_names(const Block& block);

// ---- the variables of an if statement (lesson 09: parsing keeps both branches) -------------------
// Both branches become subgraphs of one If op, so the If must name, before either runs, the values
// it passes in (the same placeholders in both branches) and the values it gives back.
struct IfFacts {
  SourcePos pos;                             // of the `if`, for messages
  Assignments then_assigned, else_assigned;  // names each branch may assign (first assignment)
  Names then_always, else_always;            // names each branch assigns on every path through it
  Names then_reads, else_reads;              // names each branch reads before assigning them
  Names live_after;                          // names read after the if before being assigned
  Names defined_before;                      // names that have a value when the if starts
};
struct IfPlan {
  std::vector<std::string> inputs;   // outer variables passed to both branches, sorted
  std::vector<std::string> outputs;  // variables the If gives back, sorted
};
// Outputs: the names either branch assigns that are live after the if. Inputs: the defined names
// either branch reads, plus every output that some path through a branch leaves unassigned (that
// path passes the outer value through). gb::Error when such an output has no value before the if.
IfPlan plan_if(const IfFacts& facts);

}  // namespace gb::control::script
