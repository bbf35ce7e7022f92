// perfetto_test.cpp: a simulated hybrid step as Trace Event JSON (perfetto.hpp): one "X" event per
// task whose duration reads back as the simulated one, one "C" event per memory change, the structure
// balanced. (tests/python/test_parallel_sim.py and check_parallel_command.py parse it with Python's json.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/hybrid.hpp"
#include "gb/parallel/perfetto.hpp"

namespace {

using namespace gb::parallel;

HybridStep small_step() {
  HybridConfig c;
  c.model = {"tiny", 4, 64, 4, 16, 0};
  c.dp = c.tp = c.pp = 2;
  c.microbatches = 3;
  c.cluster.devices = 8;
  c.cluster.devices_per_node = 4;
  return simulate_hybrid_step(c);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every number after "key": in order.
std::vector<double> values_of(const std::string& text, const std::string& key) {
  std::vector<double> out;
  const std::string needle = "\"" + key + "\":";
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    out.push_back(std::strtod(text.c_str() + at + needle.size(), nullptr));
  }
  return out;
}

TEST(Perfetto, OneCompleteEventPerTaskWithTheSimulatedDuration) {
  const HybridStep step = small_step();
  const std::string json = perfetto_json(step.execution, step.tasks, {4, {}});
  EXPECT_EQ(count(json, "\"ph\":\"X\""), static_cast<int>(step.execution.tasks.size()));
  EXPECT_EQ(count(json, "\"ph\":\"C\""), static_cast<int>(step.execution.memory_timeline.size()));
  EXPECT_EQ(count(json, "\"name\":\"process_name\""), 2);  // 8 devices, 4 per node
  EXPECT_EQ(count(json, "\"name\":\"thread_name\""), 16);  // a compute and a comm stream each
  const std::vector<double> durations = values_of(json, "dur"), starts = values_of(json, "ts");
  ASSERT_EQ(durations.size(), step.execution.tasks.size());
  for (std::size_t i = 0; i < durations.size(); ++i) {  // X events come first, in task order
    const ExecutedTask& e = step.execution.tasks[i];
    EXPECT_EQ(durations[i], (e.end - e.start) * 1e6) << "task " << i;
    EXPECT_EQ(starts[i], e.start * 1e6) << "task " << i;
  }
  // Braces and brackets balance outside strings.
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      ASSERT_GT(depth, 0);
      --depth;
    }
  }
  EXPECT_EQ(depth, 0);
  EXPECT_FALSE(in_string);
}

TEST(Perfetto, CategoriesNameTheTraffic) {
  const HybridStep step = small_step();
  std::vector<std::string> categories;
  for (Traffic t : step.traffic) categories.push_back(traffic_name(t));
  const std::string json = perfetto_json(step.execution, step.tasks, {4, categories});
  int tp = 0;
  for (Traffic t : step.traffic) tp += t == Traffic::tensor_parallel;
  EXPECT_EQ(count(json, "\"cat\":\"TP\""), tp);
  EXPECT_GT(tp, 0);
}

TEST(Perfetto, MismatchedInputsAreErrors) {
  const HybridStep step = small_step();
  std::vector<Task> fewer(step.tasks.begin(), step.tasks.end() - 1);
  EXPECT_THROW(perfetto_json(step.execution, fewer), gb::Error);
  EXPECT_THROW(perfetto_json(step.execution, step.tasks, {4, {"TP"}}), gb::Error);
  EXPECT_THROW(perfetto_json(step.execution, step.tasks, {0, {}}), gb::Error);
}

}  // namespace
