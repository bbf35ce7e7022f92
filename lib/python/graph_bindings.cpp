// graph_bindings.cpp: glassbox._glassbox.graph, the computation graphs of lessons 06-09 from Python.
//
//   Graph         a gb::graph::Graph (shared, immutable from Python): str, to_dot, nodes, run, ...
//   parse_script  the script frontend (control::parse_script): both branches kept as If/While ops
//   Traced, trace a Python function run once under the tracer (graph::trace): Python's own `if` on a
//                 traced value freezes the branch, exactly as torch.jit.trace does
// Recordings come back as JSON text (glassbox/graph.py turns them into dicts).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>

#include "bindings.hpp"
#include "gb/control/dataflow.hpp"
#include "gb/control/script.hpp"
#include "gb/core/thread_pool.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/graph/tracer.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::python {

namespace {

namespace g = gb::graph;
using GraphHandle = std::shared_ptr<g::Graph>;

g::Feeds feeds_from(const py::dict& feeds) {
  g::Feeds out;
  for (const auto& [name, value] : feeds) out[py::cast<std::string>(name)] = tensor_from_python(value, py::bool_(true));
  return out;
}

py::list outputs_to_python(const std::vector<Tensor>& outputs) {
  py::list list;
  for (const Tensor& t : outputs) list.append(tensor_to_numpy(py::cast(t)));
  return list;
}

py::list nodes_of(const g::Graph& graph) {
  py::list list;
  for (const g::Node& node : graph.nodes()) {
    py::dict d;
    d["id"] = node.id;
    d["op"] = node.op;
    d["name"] = node.name;
    d["inputs"] = node.inputs;
    d["outputs"] = node.outputs;
    d["group"] = node.group;
    py::list subgraphs;
    for (const auto& [key, attr] : node.attrs) {
      if (std::holds_alternative<g::GraphPtr>(attr)) subgraphs.append(key);
    }
    d["subgraphs"] = subgraphs;
    list.append(d);
  }
  return list;
}

// Runs with an optional Recorder attached; returns outputs, or (outputs, recording JSON text).
template <class Run> py::object run_maybe_recorded(bool record, const std::string& title, Run run) {
  if (!record) return outputs_to_python(run());
  trace::Recorder rec("graph", title);
  std::vector<Tensor> outputs;
  {
    trace::ScopedRecorder attach(rec);
    outputs = run();
  }
  return py::make_tuple(outputs_to_python(outputs), trace::to_json(rec.take(), -1));
}

std::vector<g::Traced> call_traced(const py::function& fn, const std::vector<g::Traced>& inputs) {
  py::tuple args(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) args[i] = py::cast(inputs[i]);
  py::object result = fn(*args);
  if (py::isinstance<g::Traced>(result)) return {py::cast<g::Traced>(result)};
  return py::cast<std::vector<g::Traced>>(result);
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<g::Graph, GraphHandle>(m, "Graph", "A computation graph (lessons 06-09): nodes are ops, edges are values")
      .def("__str__", &g::Graph::str)
      .def("__len__", &g::Graph::size)
      .def("to_dot", [](const g::Graph& graph) { return g::to_dot(graph); }, "Graphviz DOT text")
      .def("nodes", &nodes_of, "One dict per node: id, op, name, inputs, outputs (value ids), group, subgraphs")
      .def_property_readonly("inputs", [](const g::Graph& graph) {
        std::vector<std::string> names;
        for (g::ValueId v : graph.inputs()) names.push_back(graph.value(v).name);
        return names;
      })
      .def(
          "run",
          [](const g::Graph& graph, const py::dict& feeds, bool record) {
            return run_maybe_recorded(record, "run_fifo", [&] { return g::run_fifo(graph, feeds_from(feeds)).outputs; });
          },
          py::arg("feeds"), py::arg("record") = false)
      .def(
          "run_parallel",
          [](const g::Graph& graph, const py::dict& feeds, int threads, bool record) {
            if (threads < 1 || threads > 64) throw Error("Graph.run_parallel", "threads in 1..64", std::to_string(threads));
            ThreadPool pool(static_cast<std::size_t>(threads));
            return run_maybe_recorded(record, "run_parallel",
                                      [&] { return g::run_parallel(graph, feeds_from(feeds), pool).outputs; });
          },
          py::arg("feeds"), py::arg("threads") = 2, py::arg("record") = false)
      .def(
          "run_dataflow",
          [](const g::Graph& graph, const py::dict& feeds, bool record) {
            return run_maybe_recorded(record, "run_dataflow",
                                      [&] { return control::run_dataflow(graph, feeds_from(feeds)).outputs; });
          },
          py::arg("feeds"), py::arg("record") = false, "Run a graph made by lowered() with tagged tokens")
      .def(
          "with_gradients",
          [](const g::Graph& graph, std::vector<std::string> wrt) {
            auto copy = std::make_shared<g::Graph>(graph);
            if (wrt.empty()) {
              for (g::ValueId v : graph.inputs()) wrt.push_back(graph.value(v).name);
            }
            std::vector<g::ValueId> ids;
            for (const std::string& name : wrt) {
              auto id = copy->find_input(name);
              if (!id) throw Error("Graph.with_gradients", "the name of an input", "'" + name + "'");
              ids.push_back(*id);
            }
            std::vector<g::ValueId> outputs = copy->outputs();
            if (outputs.empty()) throw Error("Graph.with_gradients", "a graph with an output", "none");
            for (g::ValueId d : g::gradients(*copy, outputs[0], ids)) outputs.push_back(d);
            copy->set_outputs(outputs);
            return copy;
          },
          py::arg("wrt") = std::vector<std::string>{},
          "A copy with d output0 / d input appended (lesson 06's backward pass) as extra outputs")
      .def("lowered", [](const g::Graph& graph) { return std::make_shared<g::Graph>(control::lower_to_dataflow(graph)); },
           "A copy with If/While lowered to Switch, Merge, Enter, Exit and NextIteration (lesson 08)");

  m.def(
      "parse_script",
      [](const std::string& text, const std::map<std::string, std::pair<std::string, std::vector<std::int64_t>>>& infos) {
        std::map<std::string, g::ValueInfo> input_infos;
        for (const auto& [name, info] : infos) input_infos[name] = {dtype_from_name(info.first), info.second};
        return std::make_shared<g::Graph>(control::parse_script(text, input_infos).graph);
      },
      py::arg("text"), py::arg("input_infos") = std::map<std::string, std::pair<std::string, std::vector<std::int64_t>>>{});

  py::class_<g::Traced>(m, "Traced", "A value being traced: every op on it runs now and is recorded into the graph")
      .def_property_readonly("value", [](const g::Traced& t) { return tensor_to_numpy(py::cast(t.value())); })
      .def("__bool__", [](const g::Traced& t) { return t.truthy("a Python `if`"); })
      .def("item", [](const g::Traced& t) { return t.item(); })
      .def("__add__", [](const g::Traced& a, const g::Traced& b) { return a + b; })
      .def("__add__", [](const g::Traced& a, double b) { return a + b; })
      .def("__radd__", [](const g::Traced& a, double b) { return b + a; })
      .def("__sub__", [](const g::Traced& a, const g::Traced& b) { return a - b; })
      .def("__sub__", [](const g::Traced& a, double b) { return a - b; })
      .def("__rsub__", [](const g::Traced& a, double b) { return b - a; })
      .def("__mul__", [](const g::Traced& a, const g::Traced& b) { return a * b; })
      .def("__mul__", [](const g::Traced& a, double b) { return a * b; })
      .def("__rmul__", [](const g::Traced& a, double b) { return b * a; })
      .def("__truediv__", [](const g::Traced& a, const g::Traced& b) { return a / b; })
      .def("__truediv__", [](const g::Traced& a, double b) { return a / b; })
      .def("__neg__", [](const g::Traced& a) { return -a; })
      .def("__gt__", [](const g::Traced& a, const g::Traced& b) { return a > b; })
      .def("__lt__", [](const g::Traced& a, const g::Traced& b) { return a < b; })
      .def("__matmul__", [](const g::Traced& a, const g::Traced& b) { return g::matmul(a, b); })
      .def_property_readonly("T", [](const g::Traced& a) { return g::transpose(a); });
  m.def("apply", [](const std::string& op, const std::vector<g::Traced>& inputs) { return g::Traced::apply(op, inputs); },
        "Any registered op on traced values (tanh, relu, sum, ...)");
  m.def(
      "trace",
      [](const py::function& fn, const std::vector<std::pair<std::string, py::object>>& examples) {
        std::vector<std::pair<std::string, Tensor>> inputs;
        for (const auto& [name, value] : examples) inputs.emplace_back(name, tensor_from_python(value, py::bool_(true)));
        g::TraceResult r = g::trace([&](const std::vector<g::Traced>& in) { return call_traced(fn, in); }, inputs);
        return py::make_tuple(std::make_shared<g::Graph>(std::move(r.graph)), r.warnings,
                              outputs_to_python(r.eager_outputs));
      },
      py::arg("fn"), py::arg("examples"));
}

}  // namespace gb::python
