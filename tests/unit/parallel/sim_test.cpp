// sim_test.cpp: the simulator of lesson 10 onward: in-order resources, dependencies, ties by id, memory
// peaks by kind and out-of-memory errors, zero-length tasks, busy(), link costs and bad input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/sim.hpp"

namespace {

using namespace gb::parallel;

ClusterSpec small(int devices = 4, int per_node = 2) {
  ClusterSpec spec;
  spec.devices = devices;
  spec.devices_per_node = per_node;
  return spec;
}

Task on(ResourceId resource, int device, double duration, std::vector<int> after = {}, std::string name = "t") {
  Task t;
  t.name = std::move(name);
  t.device = device;
  t.resources = {resource};
  t.duration = duration;
  t.after = std::move(after);
  return t;
}

}  // namespace

TEST(Simulator, AResourceRunsItsTasksInTheOrderTheyWereAdded) {
  Simulator sim{Cluster(small())};
  // The second task is added first on compute(0) and waits for a slow task on device 1: the third,
  // ready at once, still waits behind it (a stream, not a pool).
  const int slow = sim.add(on(sim.compute(1), 1, 5.0));
  const int waits = sim.add(on(sim.compute(0), 0, 1.0, {slow}));
  const int ready = sim.add(on(sim.compute(0), 0, 1.0));
  const Execution ex = sim.run();
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(waits)].start, 5.0);
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(ready)].start, 6.0);
  EXPECT_DOUBLE_EQ(ex.makespan, 7.0);
}

TEST(Simulator, IndependentResourcesOverlapAndDependenciesChain) {
  Simulator sim{Cluster(small())};
  const int a = sim.add(on(sim.compute(0), 0, 2.0));
  const int b = sim.add(on(sim.comm(0), 0, 3.0));  // another stream of the same device: overlaps
  const int c = sim.add(on(sim.compute(1), 1, 1.0, {a, b}));
  const Execution ex = sim.run();
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(b)].start, 0.0);
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(c)].start, 3.0);
  EXPECT_DOUBLE_EQ(ex.makespan, 4.0);
  EXPECT_DOUBLE_EQ(ex.busy(0, TaskKind::other), 3.0) << "the union of [0, 2) and [0, 3)";
  EXPECT_EQ(ex.events, 6);  // one start and one end per task
}

TEST(Simulator, TiesInTimeAreBrokenByTaskIdAndActionsRunAtTheStart) {
  Simulator sim{Cluster(small())};
  std::vector<int> order;
  for (int d : {3, 1, 2, 0}) {
    Task t = on(sim.compute(d), d, 1.0);
    t.action = [&order, d] { order.push_back(d); };
    sim.add(std::move(t));
  }
  Task zero = on(sim.comm(0), 0, 0.0);  // a zero-length task ends at its start
  zero.action = [&order] { order.push_back(-1); };
  const int z = sim.add(std::move(zero));
  Task next = on(sim.comm(0), 0, 0.5);
  next.action = [&order] { order.push_back(-2); };
  const int after_zero = sim.add(std::move(next));
  const Execution ex = sim.run();
  EXPECT_EQ(order, (std::vector<int>{3, 1, 2, 0, -1, -2}));
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(z)].end, 0.0);
  EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(after_zero)].start, 0.0);
  EXPECT_DOUBLE_EQ(ex.makespan, 1.0);
}

TEST(Simulator, MemoryPeaksByKindAndTheTimeline) {
  ClusterSpec spec = small();
  spec.memory_bytes = 1000;
  Simulator sim{Cluster(spec)};
  Task params = on(sim.compute(0), 0, 1.0);
  params.at_start = {{0, MemoryKind::parameters, 400}};
  sim.add(std::move(params));
  Task forward = on(sim.compute(0), 0, 2.0);
  forward.at_start = {{0, MemoryKind::activations, 300}};
  forward.at_end = {{0, MemoryKind::activations, -300}};
  sim.add(std::move(forward));
  Task again = on(sim.compute(0), 0, 1.0);
  again.at_start = {{0, MemoryKind::activations, 100}};
  sim.add(std::move(again));
  const Execution ex = sim.run();
  const Memory& m = ex.memory[0];
  EXPECT_EQ(m.peak(MemoryKind::parameters), 400);
  EXPECT_EQ(m.peak(MemoryKind::activations), 300);
  EXPECT_EQ(m.peak(), 700);
  EXPECT_EQ(m.in_use(), 500);
  EXPECT_EQ(ex.memory[1].peak(), 0);
  ASSERT_EQ(ex.memory_timeline.size(), 4u);
  EXPECT_DOUBLE_EQ(ex.memory_timeline[2].time, 3.0);  // the free at the forward's end, before the next start
  EXPECT_EQ(ex.memory_timeline[2].bytes, 400);
  EXPECT_STREQ(memory_kind_name(MemoryKind::optimizer_states), "optimizer states");
}

TEST(Simulator, RunningOutOfMemoryNamesDeviceTimeAndTask) {
  ClusterSpec spec = small();
  spec.memory_bytes = 1000;
  Simulator sim{Cluster(spec)};
  sim.add(on(sim.compute(1), 1, 2.0));
  Task big = on(sim.compute(1), 1, 1.0, {}, "F7");
  big.at_start = {{1, MemoryKind::activations, 1001}};
  sim.add(std::move(big));
  try {
    sim.run();
    FAIL() << "no out-of-memory error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("F7"), std::string::npos) << message;
    EXPECT_NE(message.find("t = 2"), std::string::npos) << message;
    EXPECT_NE(message.find("device 1"), std::string::npos) << message;
  }
  Memory m(100);
  m.allocate(MemoryKind::gradients, 60);
  EXPECT_THROW(m.free(MemoryKind::parameters, 1), gb::Error);
  EXPECT_THROW(m.allocate(MemoryKind::buffers, 41), gb::Error);
  EXPECT_THROW(m.allocate(MemoryKind::buffers, -1), gb::Error);
  Memory unlimited(0);
  unlimited.allocate(MemoryKind::parameters, 1LL << 50);
  EXPECT_EQ(unlimited.peak(), 1LL << 50);
}

TEST(Cluster, LinksInsideANodeAreFasterThanAcross) {
  const Cluster c(small(4, 2));
  EXPECT_EQ(c.node_of(1), 0);
  EXPECT_EQ(c.node_of(2), 1);
  const LinkCost& inside = c.link(0, 1);
  const LinkCost& across = c.link(1, 2);
  EXPECT_EQ(inside.alpha, c.spec().intra_node.alpha);
  EXPECT_EQ(across.beta, c.spec().inter_node.beta);
  EXPECT_LT(inside.seconds(1 << 20), across.seconds(1 << 20));
  EXPECT_DOUBLE_EQ(across.seconds(1000), across.alpha + 1000 * across.beta);
  EXPECT_DOUBLE_EQ(c.compute_seconds(2e12), 2e12 / c.spec().flops_per_second);
}

TEST(Simulator, BadInputGetsAnError) {
  EXPECT_THROW(Cluster(small(0, 1)), gb::Error);
  EXPECT_THROW(Cluster(small(4, 0)), gb::Error);
  ClusterSpec negative = small();
  negative.inter_node.beta = -1;
  EXPECT_THROW(Cluster{negative}, gb::Error);
  const Cluster c(small());
  EXPECT_THROW(c.link(0, 0), gb::Error);
  EXPECT_THROW(c.link(0, 4), gb::Error);
  EXPECT_THROW(c.node_of(-1), gb::Error);
  Simulator sim{c};
  EXPECT_THROW(sim.compute(4), gb::Error);
  EXPECT_THROW(sim.add(on(sim.compute(0), 0, -1.0)), gb::Error);
  EXPECT_THROW(sim.add(on(sim.compute(0), 7, 1.0)), gb::Error);
  EXPECT_THROW(sim.add(on(99, 0, 1.0)), gb::Error);
  EXPECT_THROW(sim.add(on(sim.compute(0), 0, 1.0, {0})), gb::Error) << "a dependency on itself";
  Task bad_memory = on(sim.compute(0), 0, 1.0);
  bad_memory.at_start = {{9, MemoryKind::buffers, 1}};
  EXPECT_THROW(sim.add(std::move(bad_memory)), gb::Error);
  EXPECT_THROW(sim.task(0), gb::Error);
  // No deadlock is possible: every resource runs in id order and dependencies point to lower ids, so
  // the lowest unfinished task can always start; tasks on other devices and streams just wait.
  const int a = sim.add(on(sim.compute(1), 1, 1.0));
  sim.add(on(sim.compute(0), 0, 1.0, {a}));
  EXPECT_NO_THROW(sim.run());
}
