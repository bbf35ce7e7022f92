// perfetto.cpp: an Execution as Trace Event JSON (see perfetto.hpp).
#include "gb/parallel/perfetto.hpp"

#include <charconv>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "gb/core/error.hpp"

namespace gb::parallel {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned>(c));
      out += code;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Shortest text that reads back as the same double (so durations survive the round trip exactly).
std::string number(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

double microseconds(double seconds) { return seconds * 1e6; }

}  // namespace

std::string perfetto_json(const Execution& execution, const std::vector<Task>& tasks, const PerfettoOptions& options) {
  const std::string op = "perfetto_json";
  if (tasks.size() != execution.tasks.size()) {
    throw Error(op, "one Task per executed task (" + std::to_string(execution.tasks.size()) + ")", std::to_string(tasks.size()) + " tasks");
  }
  if (!options.categories.empty() && options.categories.size() != tasks.size()) {
    throw Error(op, "one category per task (" + std::to_string(tasks.size()) + ") or none", std::to_string(options.categories.size()));
  }
  if (options.devices_per_node < 1) throw Error(op, "devices_per_node >= 1", std::to_string(options.devices_per_node));
  const int per_node = options.devices_per_node;

  std::ostringstream out;
  out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  bool first = true;
  const auto event = [&](const std::string& body) {
    out << (first ? "\n" : ",\n") << '{' << body << '}';
    first = false;
  };
  const auto where = [&](int device, bool comm) {
    return "\"pid\":" + std::to_string(device / per_node) + ",\"tid\":" + std::to_string(2 * device + (comm ? 1 : 0));
  };

  // Names: a process per node, a thread per stream of each device that appears.
  std::set<int> devices;
  for (const ExecutedTask& e : execution.tasks) devices.insert(e.device);
  for (std::size_t d = 0; d < execution.memory.size(); ++d) devices.insert(static_cast<int>(d));
  std::set<int> nodes;
  for (int d : devices) nodes.insert(d / per_node);
  for (int node : nodes) {
    event("\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" + std::to_string(node) + ",\"args\":{\"name\":\"node " + std::to_string(node) + "\"}");
  }
  for (int d : devices) {
    for (bool comm : {false, true}) {
      event("\"name\":\"thread_name\",\"ph\":\"M\"," + where(d, comm) + ",\"args\":{\"name\":\"device " + std::to_string(d) +
            (comm ? " comm" : " compute") + "\"}");
    }
  }

  // One complete event per task, in id order.
  for (const ExecutedTask& e : execution.tasks) {
    const Task& task = tasks[static_cast<std::size_t>(e.id)];
    const std::string category = options.categories.empty() ? task_kind_name(e.kind) : options.categories[static_cast<std::size_t>(e.id)];
    std::string args = "\"task\":" + std::to_string(e.id);
    for (const auto& [key, value] : task.tags) args += "," + quoted(key) + ":" + number(value);
    event("\"name\":" + quoted(task.name) + ",\"cat\":" + quoted(category) + ",\"ph\":\"X\",\"ts\":" + number(microseconds(e.start)) +
          ",\"dur\":" + number(microseconds(e.end - e.start)) + "," + where(e.device, e.kind == TaskKind::communication) +
          ",\"args\":{" + args + "}");
  }
  // Memory in use per device, as counters on the device's compute thread's process.
  for (const MemorySample& sample : execution.memory_timeline) {
    event("\"name\":\"memory device " + std::to_string(sample.device) + "\",\"ph\":\"C\",\"ts\":" + number(microseconds(sample.time)) +
          "," + where(sample.device, false) + ",\"args\":{\"bytes\":" + std::to_string(sample.bytes) + "}");
  }
  out << "\n]}\n";
  return out.str();
}

}  // namespace gb::parallel
