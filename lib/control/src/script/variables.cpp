// variables.cpp: assigned, read and live names of blocks, and the inputs and outputs of an if.
#include "variables.hpp"

#include "gb/core/error.hpp"

namespace gb::control::script {

void add_reads(const Expr& expr, Names& reads) {
  if (expr.kind == Expr::Kind::name) reads.insert(expr.name);
  for (const ExprPtr& operand : expr.operands) add_reads(*operand, reads);
}

namespace {

void collect_assignments(const Block& block, Assignments& out) {
  for (const Stmt& stmt : block) {
    if (stmt.kind == Stmt::Kind::assign || stmt.kind == Stmt::Kind::for_range) out.emplace(stmt.target, stmt.pos);
    collect_assignments(stmt.body, out);
    collect_assignments(stmt.orelse, out);
  }
}

void collect_reads(const Block& block, Names& out) {
  for (const Stmt& stmt : block) {
    if (stmt.value) add_reads(*stmt.value, out);
    collect_reads(stmt.body, out);
    collect_reads(stmt.orelse, out);
  }
}

// Reads in evaluation order: the value before the target is assigned, the condition before the
// branches, the range bound before the counter.
void visit_in_order(const Expr& expr, const Names& assigned, Names& seen,
                    std::vector<std::pair<std::string, SourcePos>>& free) {
  if (expr.kind == Expr::Kind::name && assigned.count(expr.name) == 0 && seen.insert(expr.name).second) {
    free.emplace_back(expr.name, expr.pos);
  }
  for (const ExprPtr& operand : expr.operands) visit_in_order(*operand, assigned, seen, free);
}
void visit_in_order(const Block& block, Names& assigned, Names& seen,
                    std::vector<std::pair<std::string, SourcePos>>& free) {
  for (const Stmt& stmt : block) {
    if (stmt.value) visit_in_order(*stmt.value, assigned, seen, free);
    if (stmt.kind == Stmt::Kind::for_range) assigned.insert(stmt.target);
    visit_in_order(stmt.body, assigned, seen, free);
    visit_in_order(stmt.orelse, assigned, seen, free);
    if (stmt.kind == Stmt::Kind::assign) assigned.insert(stmt.target);
  }
}

}  // namespace

Assignments assignments_in(const Block& block) {
  Assignments out;
  collect_assignments(block, out);
  return out;
}

Names reads_in(const Block& block) {
  Names out;
  collect_reads(block, out);
  return out;
}

Names assigned_on_every_path(const Block& block) {
  Names always;
  for (const Stmt& stmt : block) {
    if (stmt.kind == Stmt::Kind::assign) always.insert(stmt.target);
    if (stmt.kind != Stmt::Kind::if_else) continue;
    const Names in_else = assigned_on_every_path(stmt.orelse);
    for (const std::string& name : assigned_on_every_path(stmt.body)) {
      if (in_else.count(name) != 0) always.insert(name);
    }
  }
  return always;
}

Names live_before(const Stmt& stmt, const Names& live_after) {
  Names live;
  switch (stmt.kind) {
    case Stmt::Kind::pass: return live_after;
    case Stmt::Kind::return_value: add_reads(*stmt.value, live); return live;
    case Stmt::Kind::assign:
      live = live_after;
      live.erase(stmt.target);
      add_reads(*stmt.value, live);
      return live;
    case Stmt::Kind::if_else:
      live = live_before(stmt.body, live_after);
      live.merge(live_before(stmt.orelse, live_after));
      add_reads(*stmt.value, live);
      return live;
    case Stmt::Kind::while_loop:
    case Stmt::Kind::for_range: {
      // Live on entry = live after, plus the bound or condition, plus what the body reads before
      // assigning (the least fixed point of the loop's equation, since liveness is gen/kill).
      Names body = live_before(stmt.body, Names{});
      if (stmt.kind == Stmt::Kind::for_range) body.erase(stmt.target);
      live = live_after;
      live.merge(body);
      add_reads(*stmt.value, live);
      return live;
    }
  }
  return live;
}

Names live_before(const Block& block, const Names& live_after) {
  Names live = live_after;
  for (auto it = block.rbegin(); it != block.rend(); ++it) live = live_before(*it, live);
  return live;
}

std::vector<std::pair<std::string, SourcePos>> free_names(const Block& block) {
  Names assigned, seen;
  std::vector<std::pair<std::string, SourcePos>> free;
  visit_in_order(block, assigned, seen, free);
  return free;
}

IfPlan plan_if(const IfFacts& facts) {
  // BEGIN EXERCISE(control.script.if_outputs)
  IfPlan plan;
  Names inputs;
  // Outputs: a value assigned in either branch and read after the if must leave the If, whichever
  // branch ran. When a path through a branch does not assign it, that path passes the outer value
  // through unchanged: the value must exist before the if and enter the branches as an input.
  Names assigned;
  for (const auto& [name, pos] : facts.then_assigned) assigned.insert(name);
  for (const auto& [name, pos] : facts.else_assigned) assigned.insert(name);
  for (const std::string& name : assigned) {
    if (facts.live_after.count(name) == 0) continue;  // dead after the if: local to its branch
    plan.outputs.push_back(name);
    if (facts.then_always.count(name) != 0 && facts.else_always.count(name) != 0) continue;
    if (facts.defined_before.count(name) == 0) {
      const auto in_then = facts.then_assigned.find(name), in_else = facts.else_assigned.find(name);
      std::string where;
      if (in_else == facts.else_assigned.end()) {
        where = "only in the then-branch at " + to_string(in_then->second);
      } else if (in_then == facts.then_assigned.end()) {
        where = "only in the else-branch at " + to_string(in_else->second);
      } else if (facts.then_always.count(name) == 0) {
        where = "only on some paths through the then-branch at " + to_string(in_then->second);
      } else {
        where = "only on some paths through the else-branch at " + to_string(in_else->second);
      }
      throw Error("script",
                  "'" + name + "' to be defined before the if at " + to_string(facts.pos) +
                      " or assigned in both branches (it is read after the if)",
                  "'" + name + "' assigned " + where + " and not defined before");
    }
    inputs.insert(name);
  }
  // Inputs: every outer value a branch reads before assigning it. A subgraph sees nothing of the
  // graph around it, so each such value becomes a placeholder of both branches.
  for (const Names* reads : {&facts.then_reads, &facts.else_reads}) {
    for (const std::string& name : *reads) {
      if (facts.defined_before.count(name) != 0) inputs.insert(name);
    }
  }
  plan.inputs.assign(inputs.begin(), inputs.end());
  return plan;
  // END EXERCISE
}

}  // namespace gb::control::script
