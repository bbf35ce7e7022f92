// Functional If / While: values, errors, and gradients against central differences (f64).
#include <gtest/gtest.h>

#include "control_programs.hpp"
#include "gb/core/error.hpp"
#include "gb/trace/recorder.hpp"

using namespace control_test;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a gb::Error";
  return "";
}

void expect_gradient_matches(const Program& program, const std::vector<double>& at) {
  Built b = with_gradients(program);
  const std::vector<double> out = doubles(gb::graph::run(b.graph, feeds_of(program, at)));
  const std::vector<double> numeric = central_gradient(program, at);
  ASSERT_EQ(out.size(), at.size() + 1);
  EXPECT_NEAR(out[0], value_at(program, at), 1e-12 * std::max(1.0, std::abs(out[0])));
  for (std::size_t i = 0; i < at.size(); ++i) {
    EXPECT_NEAR(out[i + 1], numeric[i], 1e-6 * std::max(1.0, std::abs(numeric[i])))
        << program.name << ": d/d" << program.inputs[i];
  }
}

}  // namespace

TEST(FunctionalIf, RunsTheBranchTheConditionPicks) {
  EXPECT_DOUBLE_EQ(value_at(if_program(), {3, 2}), 18.0);                 // 3 * 2 * 3
  EXPECT_DOUBLE_EQ(value_at(if_program(), {1, 2}), std::sin(1.0) + 2.0);  // else
}

TEST(FunctionalIf, BranchesMustAgreeAndCondMustBeScalar) {
  Graph g;
  const ValueId x = g.placeholder("x", f64);
  auto scalar_branch = subgraph({f64}, [](Graph&, const std::vector<ValueId>& p) { return std::vector<ValueId>{p[0]}; });
  auto two_outputs = subgraph({f64}, [](Graph&, const std::vector<ValueId>& p) { return std::vector<ValueId>{p[0], p[0]}; });
  const ValueId cond = g.add("gt", {x, c(g, 0)});
  EXPECT_NE(message_of([&] { gb::control::make_if(g, cond, {x}, scalar_branch, two_outputs); }).find("same output infos"),
            std::string::npos);
  const ValueId vector = g.placeholder("v", {gb::DType::f64, {3}});
  const std::string non_scalar = message_of([&] { gb::control::make_if(g, vector, {x}, scalar_branch, scalar_branch); });
  EXPECT_NE(non_scalar.find("scalar cond"), std::string::npos) << non_scalar;
  // The args must fit the branches' placeholders.
  EXPECT_THROW(gb::control::make_if(g, cond, {vector}, scalar_branch, scalar_branch), gb::Error);
  EXPECT_THROW(gb::control::make_if(g, cond, {x, x}, scalar_branch, scalar_branch), gb::Error);
  EXPECT_THROW(gb::control::make_if(g, cond, {x}, nullptr, scalar_branch), gb::Error);
}

TEST(FunctionalWhile, RunsTheBodyWhileTheConditionHolds) {
  // i = 0; while i < 3: x = x * w + sin(x)
  double x = 0.5;
  for (int i = 0; i < 3; ++i) x = x * 1.5 + std::sin(x);
  EXPECT_DOUBLE_EQ(value_at(while_program(), {0.5, 1.5}), x);
  // Zero iterations when the condition is false at once: the carried values come out unchanged.
  EXPECT_DOUBLE_EQ(value_at(while_in_if_program(), {7, 1}), 7.0);
  EXPECT_DOUBLE_EQ(value_at(while_in_if_program(), {1, 1}), 7.0);  // 1 -> 3 -> 7
  EXPECT_DOUBLE_EQ(value_at(while_in_if_program(), {-1, 1}), -2.0);
}

TEST(FunctionalWhile, BodyAndConditionMustFitTheCarriedValues) {
  Graph g;
  const ValueId x = g.placeholder("x", f64);
  auto cond = subgraph({f64}, [](Graph& s, const std::vector<ValueId>& p) {
    return std::vector<ValueId>{s.add("lt", {p[0], c(s, 1)})};
  });
  auto vector_cond = subgraph({f64}, [](Graph& s, const std::vector<ValueId>&) {
    return std::vector<ValueId>{s.constant(Tensor::zeros({2}, gb::DType::f64))};
  });
  auto body = subgraph({f64}, [](Graph& s, const std::vector<ValueId>& p) { return std::vector<ValueId>{s.add("neg", {p[0]})}; });
  auto bad_body = subgraph({f64}, [](Graph& s, const std::vector<ValueId>& p) {
    return std::vector<ValueId>{p[0], s.add("neg", {p[0]})};
  });
  const std::string mismatch = message_of([&] { gb::control::make_while(g, {x}, cond, bad_body); });
  EXPECT_NE(mismatch.find("infos of the carried values"), std::string::npos) << mismatch;
  EXPECT_THROW(gb::control::make_while(g, {x}, vector_cond, body), gb::Error);
  EXPECT_THROW(gb::control::make_while(g, {x, x}, cond, body), gb::Error);
  EXPECT_THROW(gb::control::make_while(g, {}, cond, body), gb::Error);
  EXPECT_THROW(gb::control::make_while(g, {x}, cond, body, -1), gb::Error);
}

TEST(FunctionalWhile, IterationLimitIsAnErrorNamingTheLoop) {
  Graph g;
  const ValueId x = g.placeholder("x", f64);
  auto cond = subgraph({f64}, [](Graph& s, const std::vector<ValueId>& p) {
    return std::vector<ValueId>{s.add("lt", {p[0], c(s, 1e9)})};
  });
  auto body = subgraph({f64}, [](Graph& s, const std::vector<ValueId>& p) {
    return std::vector<ValueId>{s.add("add", {p[0], c(s, 1)})};
  });
  g.set_outputs(gb::control::make_while(g, {x}, cond, body, 10, "runaway"));
  const std::string message = message_of([&] { gb::graph::run(g, {{"x", scalar(0)}}); });
  EXPECT_NE(message.find("runaway"), std::string::npos) << message;
  EXPECT_NE(message.find("10 iterations"), std::string::npos) << message;
  // Exactly max_iterations is fine.
  EXPECT_DOUBLE_EQ(gb::graph::run(g, {{"x", scalar(1e9 - 10)}}).at(0).item(), 1e9);
}

TEST(FunctionalGradients, IfMatchesCentralDifferencesThroughTheTakenBranch) {
  expect_gradient_matches(if_program(), {3, 2});
  expect_gradient_matches(if_program(), {1, 2});
  // Through the then branch only: d/dy of x*y*x is x^2.
  Built b = with_gradients(if_program());
  const std::vector<double> out = doubles(gb::graph::run(b.graph, feeds_of(if_program(), {3, 2})));
  EXPECT_DOUBLE_EQ(out[2], 9.0);
}

TEST(FunctionalGradients, WhileMatchesCentralDifferencesWithALoopInvariant) {
  expect_gradient_matches(while_program(), {0.5, 1.5});
  expect_gradient_matches(while_program(), {-0.3, 0.7});
}

TEST(FunctionalGradients, NestedLoopsMatchCentralDifferences) {
  expect_gradient_matches(nested_while_program(), {0.4, 1.1});
}

TEST(FunctionalGradients, IfInsideWhileMatchesCentralDifferences) {
  expect_gradient_matches(if_in_while_program(), {0.8, 0.3});
  expect_gradient_matches(if_in_while_program(), {2.5, 0.9});
}

TEST(FunctionalGradients, WhileInsideIfMatchesCentralDifferences) {
  expect_gradient_matches(while_in_if_program(), {1.3, 0.2});   // the loop runs twice
  expect_gradient_matches(while_in_if_program(), {-1.3, 0.2});  // the else branch
}

TEST(FunctionalGradients, LogisticMapThreeIterationsMatchesTheClosedForm) {
  // f(x) = 64 x (1-x) (1-2x)^2 (1-8x+8x^2)^2, the third iterate of 4x(1-x).
  for (double x : {0.1, 0.3, 0.77}) {
    const double a = x * (1 - x), da = 1 - 2 * x;
    const double b = (1 - 2 * x) * (1 - 2 * x), db = -4 * (1 - 2 * x);
    const double q = 1 - 8 * x + 8 * x * x, cc = q * q, dc = 2 * q * (-8 + 16 * x);
    const double f = 64 * a * b * cc, df = 64 * (da * b * cc + a * db * cc + a * b * dc);
    Built built = with_gradients(logistic_program());
    const std::vector<double> out = doubles(gb::graph::run(built.graph, feeds_of(logistic_program(), {x})));
    EXPECT_NEAR(out[0], f, 1e-12);
    EXPECT_NEAR(out[1], df, 1e-10 * std::max(1.0, std::abs(df)));
  }
}

TEST(FunctionalGradients, SecondOrderThroughWhileGradIsAClearError) {
  Built b = with_gradients(logistic_program());
  const ValueId dx = b.graph.outputs()[1];
  const std::string message = message_of([&] { gb::graph::gradients(b.graph, dx, {b.inputs[0]}); });
  EXPECT_NE(message.find("not differentiable again"), std::string::npos) << message;
}

TEST(FunctionalGradients, SecondOrderThroughIfWorks) {
  // d^2/dx^2 of x*y*x = 2y on the then branch.
  Built b = with_gradients(if_program());
  const ValueId dx = b.graph.outputs()[1];
  const std::vector<ValueId> ddx = gb::graph::gradients(b.graph, dx, {b.inputs[0]});
  b.graph.set_outputs(ddx);
  EXPECT_DOUBLE_EQ(gb::graph::run(b.graph, feeds_of(if_program(), {3, 2})).at(0).item(), 4.0);
}

TEST(FunctionalRecording, SubgraphRunsDoNotRecordTheirOwnScenes) {
  Built b = with_gradients(nested_while_program());
  gb::trace::Recorder recorder("08-control-flow", "control flow");
  gb::trace::ScopedRecorder attach(recorder);
  const std::vector<double> out = doubles(gb::graph::run(b.graph, feeds_of(nested_while_program(), {0.4, 1.1})));
  EXPECT_EQ(out.size(), 3u);
}
