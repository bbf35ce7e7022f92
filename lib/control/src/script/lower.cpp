// lower.cpp: the syntax tree -> a static graph::Graph (lesson 09, source parsing).
//
// Names are values: the lowering keeps an environment (variable -> ValueId of the graph being
// built) and walks the statements in order. An assignment rebinds a name; an expression appends
// one node per operation. Control flow cannot branch while the graph is *built*, so it becomes
// ops that branch when the graph *runs*, holding subgraphs (control/functional.hpp):
//   if     -> If(cond, inputs...) with a then- and an else-subgraph: both branches are kept.
//             plan_if (variables.cpp) decides the inputs and outputs from what the branches
//             assign and read and what is live after the if.
//   while  -> While(carried...) with a cond subgraph and a body subgraph; the carried values are
//             the variables the loop reads or assigns that are defined before it.
//   for i in range(n) -> a While that also carries the counter i (f64, from 0) and the bound n.
// A subgraph sees nothing of the graph around it: every outer value it uses enters as one of its
// placeholders, in the order of the op's inputs.
#include <algorithm>
#include <utility>

#include "ast.hpp"
#include "gb/control/functional.hpp"
#include "gb/control/script.hpp"
#include "gb/core/error.hpp"
#include "variables.hpp"

namespace gb::control {

namespace script {
namespace {

using graph::Graph;
using graph::ValueInfo;

// One graph under construction and the variables bound in it.
struct Scope {
  Graph& graph;
  std::map<std::string, ValueId> env;
};

const ValueInfo scalar_f64{DType::f64, {}};

class Lowering {
 public:
  explicit Lowering(const std::map<std::string, ValueInfo>& input_infos) : input_infos_(input_infos) {}

  Script run(const Program& program) {
    Script script;
    Scope top{script.graph, {}};
    // The free names are the inputs, in order of first use: f64 scalars unless input_infos says.
    const auto free = free_names(program.statements);
    for (const auto& given : input_infos_) {
      const bool known = std::any_of(free.begin(), free.end(), [&](const auto& f) { return f.first == given.first; });
      if (!known) {
        std::string inputs;
        for (const auto& f : free) inputs += (inputs.empty() ? "" : ", ") + f.first;
        throw Error("script", "input_infos only for the script's inputs (" + (inputs.empty() ? "none" : inputs) + ")",
                    "'" + given.first + "'");
      }
    }
    for (const auto& [name, pos] : free) {
      const auto given = input_infos_.find(name);
      top.env[name] = script.graph.placeholder(name, given == input_infos_.end() ? scalar_f64 : given->second);
      script.inputs.push_back(name);
    }
    block(top, program.statements, {});
    return script;
  }

 private:
  // ---- statements -----------------------------------------------------------------------------
  // Each statement is lowered knowing which names are live after it (read later before assigned).
  void block(Scope& scope, const Block& statements, const Names& live_out) {
    std::vector<Names> live_after(statements.size());
    Names live = live_out;
    for (std::size_t k = statements.size(); k-- > 0;) {
      live_after[k] = live;
      live = live_before(statements[k], live);
    }
    for (std::size_t k = 0; k < statements.size(); ++k) statement(scope, statements[k], live_after[k]);
  }

  void statement(Scope& scope, const Stmt& stmt, const Names& live_after) {
    switch (stmt.kind) {
      case Stmt::Kind::pass: return;
      case Stmt::Kind::assign: {
        const ValueId value = expression(scope, *stmt.value);
        const graph::Value& v = scope.graph.value(value);
        if (v.name.empty()) scope.graph.set_value_name(value, stmt.target);
        scope.env[stmt.target] = value;
        return;
      }
      case Stmt::Kind::return_value:
        scope.graph.set_outputs({expression(scope, *stmt.value)});
        return;
      case Stmt::Kind::if_else: return if_else(scope, stmt, live_after);
      case Stmt::Kind::while_loop: return while_loop(scope, stmt);
      case Stmt::Kind::for_range: return for_range(scope, stmt);
    }
  }

  // if c: A else: B  ->  outputs = If(c, inputs...) with A and B as subgraphs inputs -> outputs.
  void if_else(Scope& scope, const Stmt& stmt, const Names& live_after) {
    const ValueId cond = condition(scope, *stmt.value, "if");
    IfFacts facts;
    facts.pos = stmt.pos;
    facts.then_assigned = assignments_in(stmt.body);
    facts.else_assigned = assignments_in(stmt.orelse);
    facts.then_always = assigned_on_every_path(stmt.body);
    facts.else_always = assigned_on_every_path(stmt.orelse);
    facts.then_reads = live_before(stmt.body, Names{});
    facts.else_reads = live_before(stmt.orelse, Names{});
    facts.live_after = live_after;
    for (const auto& [name, value] : scope.env) facts.defined_before.insert(name);
    const IfPlan plan = plan_if(facts);

    const Names outputs(plan.outputs.begin(), plan.outputs.end());
    const GraphPtr then_branch = subgraph(scope, plan.inputs, stmt.body, outputs, "the then-branch of the if at " + to_string(stmt.pos));
    const GraphPtr else_branch = subgraph(scope, plan.inputs, stmt.orelse, outputs, "the else-branch of the if at " + to_string(stmt.pos));
    for (std::size_t k = 0; k < plan.outputs.size(); ++k) {
      const ValueInfo& a = then_branch->value(then_branch->outputs()[k]).info;
      const ValueInfo& b = else_branch->value(else_branch->outputs()[k]).info;
      if (!(a == b)) {
        throw Error("script",
                    "'" + plan.outputs[k] + "' with one dtype and shape in both branches of the if at " + to_string(stmt.pos),
                    graph::info_str(a) + " in the then-branch and " + graph::info_str(b) + " in the else-branch");
      }
    }
    if (plan.outputs.empty()) return;  // nothing the if computes is read later: no If to run
    std::vector<ValueId> args = values_of(scope, plan.inputs);
    const std::vector<ValueId> results = checked("if", stmt.pos, [&] {
      return make_if(scope.graph, cond, args, then_branch, else_branch, "if");
    });
    bind(scope, plan.outputs, results, 0);
    forget_locals(scope, facts.then_assigned, "in a branch of the if at " + to_string(stmt.pos));
    forget_locals(scope, facts.else_assigned, "in a branch of the if at " + to_string(stmt.pos));
  }

  // while c: B  ->  carried = While(carried...) with cond: carried -> c and body: carried -> carried.
  void while_loop(Scope& scope, const Stmt& stmt) {
    const Assignments assigned = assignments_in(stmt.body);
    Names used = reads_in(stmt.body);
    add_reads(*stmt.value, used);
    const std::vector<std::string> carried = carried_names(scope, assigned, used, "");
    const std::string where = "the while loop at " + to_string(stmt.pos);
    if (carried.empty()) {
      throw Error("script", "a while condition that reads a variable at " + to_string(stmt.value->pos),
                  "one on constants only (the loop would run never or forever)");
    }
    // cond: the carried values -> the condition.
    auto cond = std::make_shared<Graph>();
    Scope cond_scope{*cond, {}};
    for (const std::string& name : carried) cond_scope.env[name] = cond->placeholder(name, info_of(scope, name));
    cond->set_outputs({condition(cond_scope, *stmt.value, "while")});
    // body: the carried values -> their values after one iteration.
    const Names live_out(carried.begin(), carried.end());
    const GraphPtr body = subgraph(scope, carried, stmt.body, live_out, "the body of " + where);
    check_loop_infos(scope, carried, *body, 0, where);
    std::vector<ValueId> initial = values_of(scope, carried);
    const std::vector<ValueId> results = checked("while", stmt.pos, [&] {
      return make_while(scope.graph, initial, cond, body, default_max_iterations, "while");
    });
    bind(scope, carried, results, 0);
    forget_locals(scope, assigned, "only inside " + where);
  }

  // for i in range(n): B  ->  a While carrying (i, n, variables...): cond i < n, body B then i = i + 1.
  void for_range(Scope& scope, const Stmt& stmt) {
    const std::string where = "the for loop at " + to_string(stmt.pos);
    ValueId bound = expression(scope, *stmt.value);
    const ValueInfo bound_info = scope.graph.value(bound).info;
    if (!bound_info.shape.empty()) {
      throw Error("script", "a scalar bound for range at " + to_string(stmt.value->pos), graph::info_str(bound_info));
    }
    if (bound_info.dtype != DType::f64) {
      bound = checked("range", stmt.value->pos, [&] {
        return std::vector<ValueId>{scope.graph.add("cast", {bound}, {{"dtype", std::string("f64")}})};
      })[0];
    }
    Assignments assigned = assignments_in(stmt.body);
    Names used = reads_in(stmt.body);
    assigned.erase(stmt.target);  // the counter is the loop's own: i in the body is always the counter
    used.erase(stmt.target);
    const std::vector<std::string> variables = carried_names(scope, assigned, used, stmt.target);
    const std::string counter = stmt.target, limit = stmt.target + "_end";

    // cond: (i, n, variables...) -> i < n.
    auto cond = std::make_shared<Graph>();
    const ValueId i = cond->placeholder(counter, scalar_f64), n = cond->placeholder(limit, scalar_f64);
    for (const std::string& name : variables) cond->placeholder(name, info_of(scope, name));
    cond->set_outputs({cond->add("lt", {i, n})});

    // body: (i, n, variables...) -> (i + 1, n, variables after B with i bound to the counter).
    auto body = std::make_shared<Graph>();
    Scope inner{*body, {}};
    const ValueId body_i = body->placeholder(counter, scalar_f64), body_n = body->placeholder(limit, scalar_f64);
    for (const std::string& name : variables) inner.env[name] = body->placeholder(name, info_of(scope, name));
    inner.env[counter] = body_i;
    const Names live_out(variables.begin(), variables.end());
    block(inner, stmt.body, live_out);
    const ValueId next = body->add("add", {body_i, body->constant(Tensor::scalar(1.0, DType::f64), "1")});
    body->set_value_name(next, counter);
    std::vector<ValueId> outputs{next, body_n};
    for (const std::string& name : variables) outputs.push_back(read(inner, name, stmt.pos, "the end of the body of " + where));
    body->set_outputs(outputs);
    check_loop_infos(scope, variables, *body, 2, where);

    std::vector<ValueId> initial{scope.graph.constant(Tensor::scalar(0.0, DType::f64), "0"), bound};
    for (ValueId v : values_of(scope, variables)) initial.push_back(v);
    const std::vector<ValueId> results = checked("for", stmt.pos, [&] {
      return make_while(scope.graph, initial, cond, GraphPtr(body), default_max_iterations, "for " + counter);
    });
    bind(scope, variables, results, 2);
    forget_locals(scope, assigned, "only inside " + where);
    if (scope.env.count(counter) == 0) why_undefined_[counter] = "the counter of " + where + ", defined only inside it";
  }

  // A subgraph: one placeholder per input (with the outer value's info), the block, and the values
  // of `outputs` (sorted) at its end.
  GraphPtr subgraph(const Scope& outer, const std::vector<std::string>& inputs, const Block& statements,
                    const Names& outputs, const std::string& where) {
    auto graph = std::make_shared<Graph>();
    Scope inner{*graph, {}};
    for (const std::string& name : inputs) inner.env[name] = graph->placeholder(name, info_of(outer, name));
    block(inner, statements, outputs);
    std::vector<ValueId> results;
    for (const std::string& name : outputs) results.push_back(read(inner, name, statements.empty() ? SourcePos{} : statements.back().pos, "the end of " + where));
    graph->set_outputs(results);
    return graph;
  }

  // The loop-carried variables: those the loop assigns or reads that have a value before it (a
  // variable assigned only inside is local to one iteration), sorted, without the counter.
  static std::vector<std::string> carried_names(const Scope& scope, const Assignments& assigned, Names used,
                                                const std::string& counter) {
    for (const auto& [name, pos] : assigned) used.insert(name);
    std::vector<std::string> carried;
    for (const std::string& name : used) {
      if (name != counter && scope.env.count(name) != 0) carried.push_back(name);
    }
    return carried;
  }

  // A carried value must keep its dtype and shape from one iteration to the next.
  static void check_loop_infos(const Scope& scope, const std::vector<std::string>& carried, const Graph& body,
                               std::size_t first, const std::string& where) {
    for (std::size_t k = 0; k < carried.size(); ++k) {
      const ValueInfo& before = scope.graph.value(scope.env.at(carried[k])).info;
      const ValueInfo& after = body.value(body.outputs()[first + k]).info;
      if (!(before == after)) {
        throw Error("script", "'" + carried[k] + "' to keep its dtype and shape through " + where,
                    graph::info_str(before) + " before and " + graph::info_str(after) + " after one iteration");
      }
    }
  }

  // ---- expressions ----------------------------------------------------------------------------
  ValueId expression(Scope& scope, const Expr& expr) {
    switch (expr.kind) {
      case Expr::Kind::number: return scope.graph.constant(Tensor::scalar(expr.number, DType::f64), expr.text);
      case Expr::Kind::name: return read(scope, expr.name, expr.pos, "");
      case Expr::Kind::op: break;
    }
    std::vector<ValueId> operands;
    for (const ExprPtr& operand : expr.operands) operands.push_back(expression(scope, *operand));
    return checked("'" + expr.text + "'", expr.pos, [&] {
      return std::vector<ValueId>{scope.graph.add(expr.op, operands)};
    })[0];
  }

  // The condition of an if or while: a scalar (any dtype; nonzero = true).
  ValueId condition(Scope& scope, const Expr& expr, const std::string& what) {
    const ValueId cond = expression(scope, expr);
    const ValueInfo& info = scope.graph.value(cond).info;
    if (!info.shape.empty()) {
      throw Error("script", "a scalar condition for " + what + " at " + to_string(expr.pos),
                  graph::info_str(info) + " (reduce it, e.g. with sum)");
    }
    return cond;
  }

  ValueId read(const Scope& scope, const std::string& name, SourcePos pos, const std::string& at) const {
    const auto found = scope.env.find(name);
    if (found != scope.env.end()) return found->second;
    const auto why = why_undefined_.find(name);
    throw Error("script", "a variable with a value at " + (at.empty() ? to_string(pos) : at),
                "'" + name + "', " + (why == why_undefined_.end() ? "which has no value here" : why->second));
  }

  static ValueInfo info_of(const Scope& scope, const std::string& name) {
    return scope.graph.value(scope.env.at(name)).info;
  }
  static std::vector<ValueId> values_of(const Scope& scope, const std::vector<std::string>& names) {
    std::vector<ValueId> values;
    for (const std::string& name : names) values.push_back(scope.env.at(name));
    return values;
  }
  static void bind(Scope& scope, const std::vector<std::string>& names, const std::vector<ValueId>& values,
                   std::size_t first) {
    for (std::size_t k = 0; k < names.size(); ++k) {
      scope.env[names[k]] = values.at(first + k);
      scope.graph.set_value_name(values.at(first + k), names[k]);
    }
  }
  // Names assigned inside a block that did not come out of it: remember why, for a later read.
  void forget_locals(const Scope& scope, const Assignments& assigned, const std::string& where) {
    for (const auto& [name, pos] : assigned) {
      if (scope.env.count(name) == 0) why_undefined_[name] = "assigned " + where + " (at " + to_string(pos) + ")";
    }
  }

  // Runs a graph-building call; a gb::Error from the graph (an op refusing its operands) gains
  // the script position, so the student sees which line to fix.
  template <class F>
  static std::vector<ValueId> checked(const std::string& what, SourcePos pos, F&& build) {
    try {
      return build();
    } catch (const NotImplemented&) {
      throw;  // an exercise still to be written: keep its message
    } catch (const Error& error) {
      throw Error("script", "operands that " + what + " accepts at " + to_string(pos), error.what());
    }
  }

  static constexpr std::int64_t default_max_iterations = 100000;
  const std::map<std::string, ValueInfo>& input_infos_;
  std::map<std::string, std::string> why_undefined_;  // name -> why it has no value now
};

}  // namespace
}  // namespace script

Script parse_script(const std::string& text, const std::map<std::string, graph::ValueInfo>& input_infos) {
  const script::Program program = script::parse_program(text);
  return script::Lowering(input_infos).run(program);
}

}  // namespace gb::control
