// convert_bindings.cpp: glassbox._glassbox.convert, models from elsewhere (lesson 16) from Python.
//
//   graph, info = gb.convert.load_onnx("model.onnx")   # or the bytes: the ONNX graph as a gb.graph.Graph
//   gb.convert.run(graph, input=x)                      # the graph's executor (lesson 07), NumPy out
//   data = gb.convert.export_onnx(graph, opset=13)      # a ModelProto's bytes; check_onnx(data) judges them
//   print(gb.convert.hex_dump(data))                    # the protobuf wire format, field by field
//   buf = gb.convert.save_glassbox(graph)               # glassbox's FlatBuffers format, and its layout
//
// A loaded graph is the same gb.graph.Graph class as every other graph (graph_bindings.cpp), so str(),
// to_dot() and nodes() work on it. Bytes travel as Python bytes; glassbox/convert.py adds the pure-Python
// conveniences (a path or bytes, feeds converted to the dtypes the graph declares).
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/convert/glassbox_format.hpp"
#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/convert/wire_format.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/fused_ops.hpp"

namespace gb::python {

namespace {

namespace g = gb::graph;
namespace c = gb::convert;
using GraphHandle = std::shared_ptr<g::Graph>;

py::dict model_info(const c::OnnxModel& model) {
  py::dict info;
  info["opset"] = model.opset;
  info["ir_version"] = model.ir_version;
  info["producer"] = model.producer;
  info["input_names"] = model.input_names;
  info["output_names"] = model.output_names;
  return info;
}

py::tuple loaded(c::OnnxModel model) {
  py::dict info = model_info(model);
  return py::make_tuple(std::make_shared<g::Graph>(std::move(model.graph)), info);
}

py::bytes as_bytes(const std::string& data) { return py::bytes(data); }

// The placeholders a run must feed: name (the key of the feeds), dtype name and shape (-1: dynamic).
py::list graph_inputs(const g::Graph& graph) {
  py::list list;
  for (g::ValueId v : graph.inputs()) {
    const g::Value& value = graph.value(v);
    py::dict d;
    d["name"] = graph.node(value.producer).attr_string("name");
    d["value"] = v;
    d["dtype"] = dtype_name(value.info.dtype);
    d["shape"] = value.info.shape;
    list.append(d);
  }
  return list;
}

py::list graph_outputs(const g::Graph& graph) {
  py::list list;
  for (g::ValueId v : graph.outputs()) {
    const g::Value& value = graph.value(v);
    py::dict d;
    d["name"] = value.name;
    d["value"] = v;
    d["dtype"] = dtype_name(value.info.dtype);
    d["shape"] = value.info.shape;
    list.append(d);
  }
  return list;
}

}  // namespace

// Shared with passes_bindings.cpp: feeds by placeholder name (copied, dtypes as given) and outputs as arrays.
g::Feeds feeds_of(const py::dict& feeds) {
  g::Feeds out;
  for (const auto& [name, value] : feeds) out[py::cast<std::string>(name)] = tensor_from_python(value, py::bool_(true));
  return out;
}

py::list arrays_of(const std::vector<Tensor>& outputs) {
  py::list list;
  for (const Tensor& t : outputs) list.append(tensor_to_numpy(py::cast(t)));
  return list;
}

void bind_convert(py::module_& m) {
  // The ONNX op set and the fused ops of the passes live in the op registry: every graph the bindings
  // build or run may use them.
  c::register_onnx_ops();
  passes::register_fused_ops();

  m.def("parse_onnx", [](const py::bytes& data) { return loaded(c::parse_onnx(std::string(data))); }, py::arg("data"),
        "The bytes of a ModelProto -> (Graph, {opset, ir_version, producer, input_names, output_names})");
  m.def("load_onnx", [](const std::string& path) { return loaded(c::load_onnx(path)); }, py::arg("path"),
        "An .onnx file -> (Graph, info), as parse_onnx");
  m.def(
      "export_onnx",
      [](const g::Graph& graph, std::int64_t opset, const std::string& graph_name) {
        c::OnnxExportOptions options;
        options.opset = opset;
        options.graph_name = graph_name;
        return as_bytes(c::export_onnx(graph, options));
      },
      py::arg("graph"), py::arg("opset") = 13, py::arg("graph_name") = "glassbox", "The graph as a ModelProto's bytes");
  m.def("check_onnx", [](const py::bytes& data) { c::check_onnx(std::string(data)); }, py::arg("data"),
        "ONNX's checker and strict shape inference; glassbox.Error with the checker's message when invalid");
  m.def("save_glassbox", [](const g::Graph& graph) { return as_bytes(c::save_glassbox(graph)); }, py::arg("graph"),
        "The graph in glassbox's FlatBuffers format (deterministic bytes)");
  m.def("load_glassbox", [](const py::bytes& data) { return std::make_shared<g::Graph>(c::load_glassbox(std::string(data))); },
        py::arg("data"), "Verifies a glassbox FlatBuffers buffer and rebuilds its graph");
  m.def(
      "flatbuffer_layout",
      [](const py::bytes& data) {
        py::list list;
        for (const c::FlatBufferRegion& r : c::flatbuffer_layout(std::string(data))) {
          py::dict d;
          d["offset"] = r.offset;
          d["size"] = r.size;
          d["what"] = r.what;
          list.append(d);
        }
        return list;
      },
      py::arg("data"), "Where each table and vector of a glassbox buffer starts: [{offset, size, what}]");
  m.def(
      "hex_dump",
      [](const py::bytes& data, const std::string& root, std::int64_t max_lines) {
        return c::annotated_hex_dump(std::string(data), root, c::onnx_field_names(), max_lines);
      },
      py::arg("data"), py::arg("root") = "ModelProto", py::arg("max_lines") = 400,
      "The protobuf bytes beside what each field means (root: the message type, '' for no names)");
  m.def(
      "decode_wire",
      [](const py::bytes& data, std::int64_t begin, std::int64_t end) {
        py::list list;
        for (const c::WireField& f : c::decode_wire(std::string(data), begin, end)) {
          py::dict d;
          d["offset"] = f.offset;
          d["key_size"] = f.key_size;
          d["field_number"] = f.field_number;
          d["wire_type"] = f.wire_type;
          d["varint"] = f.varint;
          d["value_offset"] = f.value_offset;
          d["value_size"] = f.value_size;
          list.append(d);
        }
        return list;
      },
      py::arg("data"), py::arg("begin") = 0, py::arg("end") = -1,
      "The fields of one protobuf message in data[begin:end], without a schema");
  m.def("op_names", &c::onnx_op_names, "The ONNX ops glassbox runs, sorted");
  m.def("inputs", &graph_inputs, py::arg("graph"), "The graph's placeholders: [{name, value, dtype, shape}]");
  m.def("outputs", &graph_outputs, py::arg("graph"), "The graph's outputs: [{name, value, dtype, shape}]");
  m.def(
      "run", [](const g::Graph& graph, const py::dict& feeds) { return arrays_of(g::run_fifo(graph, feeds_of(feeds)).outputs); },
      py::arg("graph"), py::arg("feeds"), "Runs the graph (FIFO executor) with feeds by input name; the outputs");
}

}  // namespace gb::python
