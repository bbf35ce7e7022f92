// export_dot_test.cpp: the Graphviz export is accepted by `dot` and keeps the stable ids.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gb/trace/export.hpp"
#include "gb/trace/recorder.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

const char* const dot_program = "/usr/bin/dot";

// Runs `dot -Tsvg` on the text; returns its exit status.
int run_dot(const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto file = dir / ("gb_trace_dot_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                           "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".dot");
  std::ofstream(file) << text;
  const std::string command = std::string(dot_program) + " -Tsvg -o /dev/null " + file.string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::filesystem::remove(file);
  return status;
}

TEST(Dot, StableIdsClustersAndFinalState) {
  const std::string dot = to_dot(testing::every_kind_recording());
  EXPECT_EQ(dot.rfind("digraph recording {\n", 0), 0u);
  EXPECT_NE(dot.find("subgraph \"cluster_g\" {"), std::string::npos);
  EXPECT_NE(dot.find("subgraph \"cluster_g/ops\" {"), std::string::npos);
  EXPECT_NE(dot.find("\"g/a\" -> \"g/add\" [id=\"g/a->add\"]"), std::string::npos);
  EXPECT_NE(dot.find("\"g/add\" -> \"g/mul\" [id=\"g/add->mul\", label=\"x\"]"), std::string::npos);
  // mul was added by a step and is pending; add ended done with its value badge.
  EXPECT_NE(dot.find("\"g/mul\" [id=\"g/mul\", label=\"mul\\n= -0.0\", style=\"rounded,dashed\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"add\\n= 3.0\", style=\"rounded,filled\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"a = 2\\ngrad 1.0\""), std::string::npos);
  // Quotes, backslashes and newlines in labels are escaped.
  EXPECT_NE(dot.find("label=\"b\\\\n is \\\"b\\\"\\nsecond line ✓\""), std::string::npos) << dot;
  // Only graph scenes become clusters.
  EXPECT_EQ(dot.find("cluster_t\""), std::string::npos);
}

TEST(Dot, Deterministic) {
  EXPECT_EQ(to_dot(testing::every_kind_recording()), to_dot(testing::every_kind_recording()));
}

TEST(Dot, AcceptedByGraphviz) {
  if (!std::filesystem::exists(dot_program)) GTEST_SKIP() << dot_program << " is not installed";
  EXPECT_EQ(run_dot(to_dot(testing::every_kind_recording())), 0);
  EXPECT_EQ(run_dot(to_dot(testing::long_recording(60))), 0);
  EXPECT_EQ(run_dot(to_dot(Recording{})), 0);
  // Hostile ids and labels: every character DOT treats specially.
  Recorder rec("x", "title \"with\" quotes \\");
  Scene g = graph_scene("scene \"1\" \\", "a\nb");
  g.graph.groups = {{"grp\\", "grp \"label\"\n"}};
  g.graph.nodes.resize(2);
  g.graph.nodes[0].id = "node\"{}[];->";
  g.graph.nodes[0].label = "tab\there\\";
  g.graph.nodes[0].group = "grp\\";
  g.graph.nodes[1].id = "\\N\\G\\l";
  g.graph.nodes[1].group = "no such group";
  g.graph.edges = {{"e\"", "node\"{}[];->", "\\N\\G\\l", "\\"}};
  rec.add_scene(g);
  rec.step("").set_value(g.id, "\\N\\G\\l", "\"1\"\r\n").node_state(g.id, "node\"{}[];->", NodeState::running);
  EXPECT_EQ(run_dot(to_dot(rec.recording())), 0) << to_dot(rec.recording());
}

TEST(Dot, InvalidRecordingIsAnError) {
  Recording r = testing::every_kind_recording();
  r.steps[0].changes[0].target = "missing";
  EXPECT_TRUE(testing::throws_error_with([&] { to_dot(r); }, {"'missing'"}));
}

}  // namespace
}  // namespace gb::trace
