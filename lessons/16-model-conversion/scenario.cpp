// 16-model-conversion: a model from elsewhere, read three ways. A Keras-like two-layer MLP (Dense kernels
// stored [in, units]) is converted directly (to PyTorch's Linear: transpose the kernel) and canonically
// (to an ONNX ModelProto, written byte by byte by onnx_writer.hpp, imported by parse_onnx); the protobuf
// bytes are read back field by field (decode_wire, annotated_hex_dump); the imported graph is saved in
// glassbox's FlatBuffers format (save_glassbox, flatbuffer_layout) and its offsets are followed by hand
// (flatbuffer_reader.hpp) from the root table to a weight, which the loaded graph reads in place.
// The scenario checks its own numbers: every route gives the source model's outputs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "flatbuffer_reader.hpp"
#include "hex_text.hpp"
#include "gb/convert/glassbox_format.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/convert/wire_format.hpp"
#include "gb/core.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"
#include "onnx_writer.hpp"
#include "source_model.hpp"
#include "wire_reading.hpp"

namespace gb::lessons {

extern const char* const lesson_text_16_model_conversion;

namespace {

namespace cv = gb::convert;
namespace fr = flatbuffer_reader;
namespace ow = onnx_writer;
using source_model::Dense;
using source_model::keras_dense;
using source_model::torch_linear;
using source_model::transpose;
using hex_text::hex;
using hex_text::hex_lines;
using hex_text::num;
using hex_text::offset_text;
using hex_text::region_at;
using hex_text::region_kind;
using hex_text::split_lines;
using hex_text::wire_type_name;
using wire_reading::count_fields;
using wire_reading::keys_to_weight;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 16-model-conversion self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }

// --- the canonical converter: Keras -> ONNX, one converter per source op --------------------------

struct OnnxParts {
  std::vector<std::string> nodes, initializers;  // NodeProto and TensorProto bytes, in graph order
  std::vector<std::string> node_names;           // of the ONNX nodes each layer became
};

// Dense -> Gemm(x, W, b) with transB = 1 (PyTorch's exporter writes Linear so), W = kernel^T, then Relu.
std::string convert_dense(const Dense& d, const std::string& input, OnnxParts& parts) {
  const std::string w = d.name + ".weight", b = d.name + ".bias", gemm = d.name + "/Gemm", out = d.name + "/gemm_out";
  parts.initializers.push_back(cv::serialize_tensor(transpose(d.kernel), w));
  parts.initializers.push_back(cv::serialize_tensor(d.bias, b));
  parts.nodes.push_back(ow::node({input, w, b}, out, gemm, "Gemm", {ow::int_attribute("transB", 1)}));
  parts.node_names.push_back(gemm);
  if (!d.relu) return out;
  parts.nodes.push_back(ow::node({out}, d.name + "/relu_out", d.name + "/Relu", "Relu"));
  parts.node_names.push_back(d.name + "/Relu");
  return d.name + "/relu_out";
}

struct Model {
  std::int64_t batch = 0, in = 0;
  std::vector<Dense> layers;
  Tensor x;
  std::vector<double> reference;  // Keras's output, in double
  std::string onnx;               // the ModelProto bytes
  cv::OnnxModel imported;         // parse_onnx(onnx)
  Tensor output;                  // the imported graph's output, run by run_fifo
};

const graph::Node& node_named(const graph::Graph& g, const std::string& name) {
  for (const graph::Node& n : g.nodes())
    if (n.name == name) return n;
  throw Error("lesson 16-model-conversion", "a node named '" + name + "' in the imported graph", "none");
}
const Tensor& constant_named(const graph::Graph& g, const std::string& name) {
  for (const graph::Value& v : g.values())
    if (v.name == name && g.node(v.producer).op == "constant") return g.node(v.producer).attr_tensor("value");
  throw Error("lesson 16-model-conversion", "a constant named '" + name + "'", "none");
}

void conversion(Recorder& rec, Model& m) {
  rec.section("1. Direct and canonical conversion");
  rec.step("The source: Keras Dense layers " + m.layers[0].name + " (" + str(m.in) + " -> " +
               str(m.layers[0].kernel.shape()[1]) + ", relu) and " + m.layers[1].name + " (" +
               str(m.layers[1].kernel.shape()[0]) + " -> " +
               str(m.layers[1].kernel.shape()[1]) + "), each kernel stored [in, units], y = x @ kernel + bias.",
           Level::pass);
  // Canonical: every layer through its converter into ONNX, then the bytes through parse_onnx.
  OnnxParts parts;
  std::string last = "x";
  std::vector<std::vector<std::string>> layer_nodes;
  for (const Dense& d : m.layers) {
    const std::size_t before = parts.node_names.size();
    last = convert_dense(d, last, parts);
    layer_nodes.emplace_back(parts.node_names.begin() + static_cast<std::ptrdiff_t>(before), parts.node_names.end());
  }
  const std::int64_t units = m.layers.back().kernel.shape()[1];
  m.onnx = ow::model(8, "glassbox lesson 16",
                     ow::graph(parts.nodes, "keras_mlp", parts.initializers, ow::value_info("x", {m.batch, m.in}),
                               ow::value_info(last, {m.batch, units})),
                     13);
  m.imported = cv::parse_onnx(m.onnx);
  const graph::Graph& g = m.imported.graph;
  m.output = graph::run_fifo(g, graph::Feeds{{"x", m.x}}).outputs.at(0);
  rec.add_scene(graph::to_scene(g, "ir", "The glassbox IR that parse_onnx built from the ONNX bytes"));
  rec.add_scene(trace::table_scene("converter", "Converter trace: source op -> ONNX -> glassbox IR",
                                   {"source (Keras)", "direct (PyTorch)", "canonical (ONNX)", "glassbox IR", "layout fix"}));
  const graph::Node& input = g.node(g.value(g.inputs().at(0)).producer);
  rec.step("The Keras Input becomes the ONNX graph input x, and parse_onnx a placeholder.", Level::op)
      .add_row("converter", {"Input [" + str(m.batch) + ", " + str(m.in) + "]", "tensor argument", "graph input x",
                             "n" + str(input.id) + " placeholder x", "none"})
      .highlight("ir", "n" + str(input.id));
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    const Dense& d = m.layers[l];
    const Shape& k = d.kernel.shape();
    std::string onnx_ops, ir;
    for (const std::string& name : layer_nodes[l]) {
      const graph::Node& n = node_named(g, name);
      onnx_ops += (onnx_ops.empty() ? "" : " + ") + n.op + (n.op == "Gemm" ? "(transB=1)" : "");
      ir += (ir.empty() ? "" : ", ") + ("n" + str(n.id) + " " + n.op);
    }
    const Tensor& w = constant_named(g, d.name + ".weight");
    check(w.shape() == Shape{k[1], k[0]} && w.to_vector() == transpose(d.kernel).to_vector(),
          "the imported " + d.name + ".weight is the kernel transposed", w.str());
    auto step = rec.step("Converted " + d.name + ": the kernel [" + str(k[0]) + ", " + str(k[1]) + "] is transposed into "
                             "[" + str(k[1]) + ", " + str(k[0]) + "] (Linear.weight directly, Gemm's B with transB = 1 "
                             "canonically); parse_onnx made " + ir + ".",
                         Level::op);
    step.add_row("converter", {d.name + " Dense " + str(k[0]) + " -> " + str(k[1]) + (d.relu ? ", relu" : ""),
                               std::string("Linear(") + str(k[0]) + ", " + str(k[1]) + ")" + (d.relu ? " + ReLU" : ""),
                               onnx_ops, ir,
                               "kernel [" + str(k[0]) + ", " + str(k[1]) + "] -> weight [" + str(k[1]) + ", " + str(k[0]) + "]^T"});
    for (const std::string& name : layer_nodes[l]) step.highlight("ir", "n" + str(node_named(g, name).id));
  }
  // The three routes, and the classic converter bug: the same bytes read as [units, in] without transposing.
  const std::vector<double> x = m.x.to_vector();
  std::vector<double> keras = x, torch = x, reshaped = x;
  for (const Dense& d : m.layers) {
    const std::int64_t batch = m.batch;
    keras = keras_dense(keras, batch, d);
    torch = torch_linear(torch, batch, transpose(d.kernel), d.bias, d.relu);
    const Tensor same_bytes = Tensor::from_values(d.kernel.to_vector(), {d.kernel.shape()[1], d.kernel.shape()[0]});
    reshaped = torch_linear(reshaped, batch, same_bytes, d.bias, d.relu);
  }
  m.reference = keras;
  const std::vector<double> ir_out = m.output.to_vector();
  check(torch == keras, "the direct conversion gives Keras's outputs exactly (the same sums in the same order)", "a difference");
  check(m.output.shape() == Shape{m.batch, units}, "an output [batch, units]", m.output.str());
  double ir_error = 0, bug_error = 0;
  for (std::size_t i = 0; i < keras.size(); ++i) {
    ir_error = std::max(ir_error, std::fabs(ir_out[i] - keras[i]));
    bug_error = std::max(bug_error, std::fabs(reshaped[i] - keras[i]));
  }
  check(ir_error <= 1e-5, "the ONNX route within 1e-5 of Keras (Gemm in f32)", sci(ir_error));
  check(bug_error > 1e-3, "reading the kernel as [units, in] without transposing changes the outputs", sci(bug_error));
  rec.add_scene(trace::table_scene("outputs", "The outputs of every route",
                                   {"y[b, j]", "Keras (source)", "PyTorch (direct)", "glassbox via ONNX", "not transposed (bug)"}));
  for (std::int64_t b = 0; b < m.batch; ++b) {
    auto step = rec.step("Sample " + str(b) + ": all three routes agree; the untransposed kernel does not.", Level::op);
    for (std::int64_t j = 0; j < units; ++j) {
      const auto i = static_cast<std::size_t>(b * units + j);
      step.add_row("outputs", {"y[" + str(b) + ", " + str(j) + "]", num(keras[i]), num(torch[i]), num(ir_out[i]), num(reshaped[i])});
    }
  }
  rec.step("Direct conversion equals Keras exactly; the canonical route (ONNX, parse_onnx, run_fifo) is within " +
               sci(ir_error) + "; the kernel reshaped instead of transposed fits every shape but is off by " +
               sci(bug_error) + ".",
           Level::pass);
}

// --- 2. the protobuf wire format ---------------------------------------------------------------------

std::int64_t dump_line(const std::vector<std::string>& lines, std::int64_t offset) {
  const std::string head = offset_text(offset);
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].compare(0, head.size(), head) == 0) return static_cast<std::int64_t>(i) + 1;
  throw Error("lesson 16-model-conversion", "a hex dump line at offset " + head, "none");
}

// One row and one step per field of the message `type` in bytes[begin, end) (the first `limit` fields).
std::vector<cv::WireField> field_rows(Recorder& rec, const std::string& bytes, const std::string& type, std::int64_t begin,
                                      std::int64_t end, const std::vector<std::string>& dump, std::size_t limit = 1000) {
  const auto& names = cv::onnx_field_names().at(type);
  std::vector<cv::WireField> fields = cv::decode_wire(bytes, begin, end);
  for (std::size_t k = 0; k < fields.size() && k < limit; ++k) {
    const cv::WireField& f = fields[k];
    const auto entry = names.find(f.field_number);
    const std::string name = entry == names.end() ? "?" : entry->second.first;
    const std::string nested = entry == names.end() ? "" : entry->second.second;
    const std::string key = hex(bytes, f.offset, f.offset + f.key_size);
    check(bytes.substr(static_cast<std::size_t>(f.offset), static_cast<std::size_t>(f.key_size)) ==
              ow::key(f.field_number, f.wire_type),
          "the key bytes are the varint (field << 3) | wire type", key);
    std::string value = f.wire_type == 0 ? str(static_cast<std::int64_t>(f.varint)) : "length " + str(f.value_size);
    if (f.wire_type == 2 && !nested.empty()) value += ": " + nested;
    if (f.wire_type == 2 && nested.empty() && f.value_size <= 24) {
      const std::string text = bytes.substr(static_cast<std::size_t>(f.value_offset), static_cast<std::size_t>(f.value_size));
      if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) value += " \"" + text + "\"";
    }
    rec.step(type + "." + name + ": key " + key + " = (" + str(f.field_number) + " << 3) | " + str(f.wire_type) + ", " +
                 value + ".",
             Level::op)
        .add_row("fields", {type, str(f.offset), key, str(f.field_number), wire_type_name(f.wire_type), value, name})
        .set_cursor("protobuf_hex", dump_line(dump, f.offset));
  }
  return fields;
}

const cv::WireField& field_numbered(const std::vector<cv::WireField>& fields, std::int64_t number) {
  for (const cv::WireField& f : fields)
    if (f.field_number == number) return f;
  throw Error("lesson 16-model-conversion", "field " + str(number), "none");
}

void wire_format(Recorder& rec, const Model& m) {
  rec.section("2. The protobuf wire format");
  // A varint by hand: 300 = 0b10_0101100: the low 7 bits 0101100 (0x2c) with the "more" bit are 0xac,
  // then the rest, 0b10 = 0x02. protobuf's guide gives 150 = 96 01 and 300 = ac 02.
  check(ow::varint(300) == std::string("\xac\x02", 2) && ow::varint(150) == std::string("\x96\x01", 2),
        "varint(300) = ac 02 and varint(150) = 96 01", hex(ow::varint(300), 0, 2));
  const std::string probe = ow::varint_field(1, 300);
  const std::vector<cv::WireField> decoded = cv::decode_wire(probe);
  check(hex(probe, 0, 3) == "08 ac 02" && decoded.size() == 1 && decoded[0].field_number == 1 &&
            decoded[0].wire_type == 0 && decoded[0].varint == 300 && decoded[0].value_size == 2,
        "field 1 = 300 is 08 ac 02 and decodes back", hex(probe, 0, static_cast<std::int64_t>(probe.size())));
  rec.step("By hand: 300 = 0b10 0101100, low 7 bits first with the high bit as \"more\": ac 02; as field 1 the key is "
           "(1 << 3) | 0 = 08, so 08 ac 02, and decode_wire reads back field 1 = 300.",
           Level::pass);
  const std::vector<std::string> dump = split_lines(cv::annotated_hex_dump(m.onnx));
  rec.add_scene(trace::table_scene("fields", "Protobuf fields decoded by hand (decode_wire + onnx.proto's names)",
                                   {"message", "offset", "key bytes", "field", "wire type", "length / value", "name"}));
  rec.add_scene(trace::text_scene("protobuf_hex", "model.onnx, annotated_hex_dump: key bytes beside their meaning",
                                  "model.onnx", 1, dump, "text"));
  const auto size = static_cast<std::int64_t>(m.onnx.size());
  const std::vector<cv::WireField> top = field_rows(rec, m.onnx, "ModelProto", 0, size, dump);
  std::vector<std::int64_t> numbers;
  for (const cv::WireField& f : top) numbers.push_back(f.field_number);
  check(numbers == std::vector<std::int64_t>{1, 2, 7, 8}, "ModelProto fields 1, 2, 7, 8 in order",
        str(static_cast<std::int64_t>(numbers.size())) + " fields");
  check(top[0].varint == 8 && top[2].wire_type == 2 && top[2].value_offset + top[2].value_size <= size,
        "ir_version 8 and a graph inside the bytes", str(static_cast<std::int64_t>(top[0].varint)));
  const cv::WireField& graph_field = top[2];
  const auto graph_fields = field_rows(rec, m.onnx, "GraphProto", graph_field.value_offset,
                                       graph_field.value_offset + graph_field.value_size, dump, 1);
  const cv::WireField& node = graph_fields.at(0);
  const auto node_fields = field_rows(rec, m.onnx, "NodeProto", node.value_offset, node.value_offset + node.value_size, dump);
  const cv::WireField& op_type = field_numbered(node_fields, 4);
  check(m.onnx.substr(static_cast<std::size_t>(op_type.value_offset), static_cast<std::size_t>(op_type.value_size)) == "Gemm",
        "the first node's op_type is Gemm", str(op_type.value_size));
  const cv::WireField& attribute = field_numbered(node_fields, 5);
  const auto attribute_fields = field_rows(rec, m.onnx, "AttributeProto", attribute.value_offset,
                                           attribute.value_offset + attribute.value_size, dump);
  const cv::WireField& type = field_numbered(attribute_fields, 20);
  check(hex(m.onnx, type.offset, type.offset + type.key_size) == "a0 01" && type.varint == 2,
        "AttributeProto.type (field 20) has the 2-byte key a0 01 and the value INT = 2",
        hex(m.onnx, type.offset, type.offset + type.key_size));
  rec.step("The model is " + str(size) + " bytes, " + str(count_fields(m.onnx, 0, size, "ModelProto")) +
               " fields in all; field 20 needs a 2-byte key (160 = a0 01) because field numbers above 15 do not fit "
               "in the 4 bits a one-byte key leaves.",
           Level::pass);
}

// --- 3. FlatBuffers ----------------------------------------------------------------------------------

struct Flat {
  std::string bytes;
  std::int64_t weight_data = 0;  // where dense_1.weight's floats start in the buffer
  std::int64_t hops = 0;         // reads from the buffer's start to them
};

Flat flatbuffers(Recorder& rec, const Model& m) {
  rec.section("3. FlatBuffers: glassbox's own format");
  Flat flat;
  const std::string& b = flat.bytes = cv::save_glassbox(m.imported.graph);
  const std::vector<cv::FlatBufferRegion> regions = cv::flatbuffer_layout(b);
  const std::vector<std::string> lines = hex_lines(b, regions);
  rec.add_scene(trace::table_scene("flatbuffer", "flatbuffer_layout: the offset table of model.gbox",
                                   {"offset", "size", "kind", "what"}));
  rec.add_scene(trace::text_scene("flatbuffer_hex", "model.gbox as hex, 16 bytes a line", "model.gbox", 1, lines, "text"));
  {
    auto step = rec.step("save_glassbox wrote " + str(static_cast<std::int64_t>(b.size())) + " bytes; flatbuffer_layout finds " +
                             str(static_cast<std::int64_t>(regions.size())) + " regions: tables, their vtables, vectors, strings.",
                         Level::op);
    for (const auto& r : regions) step.add_row("flatbuffer", {str(r.offset), str(r.size), region_kind(r.what), r.what});
  }
  // Follow the offsets by hand: header -> root table Net -> its vtable -> field tensors -> ... -> the data.
  check(b.substr(4, 4) == "GBOX", "the file identifier GBOX at bytes 4-7", hex(b, 4, 8));
  const std::int64_t root = fr::root_table(b), vtable = fr::vtable_of(b, root);
  check(region_at(regions, root).what == "root table Net" && region_at(regions, vtable).what == "vtable of root table Net",
        "the root offset and the soffset lead to the root table and its vtable", str(root) + ", " + str(vtable));
  rec.add_scene(trace::table_scene("root_vtable", "The root table's vtable: where each field of Net lies",
                                   {"field", "vtable entry at", "offset in table", "reference at", "points to", "region there"}));
  const auto last_line = static_cast<std::int64_t>(lines.size());
  const std::vector<std::string> net_fields = {"name", "input_indexes", "output_indexes", "tensors", "oplists", "subgraphs"};
  for (std::size_t id = 0; id < net_fields.size(); ++id) {
    const int field = static_cast<int>(id);
    const std::int64_t slot = vtable + fr::vtable_slot(field), offset = fr::field_offset(b, root, field);
    const std::int64_t target = fr::field_target(b, root, field);
    const std::string there = target < 0 ? "absent: the default" : region_at(regions, target).what;
    rec.step("Net." + net_fields[id] + " (field " + str(field) + "): the vtable entry at " + str(vtable) + " + 4 + 2*" +
                 str(field) + " = " + str(slot) + " holds " + str(offset) +
                 (offset == 0 ? ", so the field is absent."
                              : ", so its reference is at " + str(root + offset) + " and points to " + str(target) + "."),
             Level::op)
        .add_row("root_vtable", {net_fields[id], str(slot), str(offset), offset == 0 ? "-" : str(root + offset),
                                 target < 0 ? "-" : str(target), there})
        .set_cursor("flatbuffer_hex", std::min((offset == 0 ? slot : root + offset) / 16 + 1, last_line));
  }
  // The walk to dense_1.weight's data: every read, with where it happened.
  rec.add_scene(trace::table_scene("walk", "From byte 0 to dense_1.weight's floats: every read",
                                   {"read", "at", "value", "gives"}));
  std::vector<fr::Read> reads;
  const std::int64_t data = fr::walk_to_data(b, m.layers[0].name + ".weight", reads);
  for (const fr::Read& r : reads) {
    rec.step("Read " + r.what + " at " + str(r.at) + ": " + str(r.value) + ", " + r.gives + ".", Level::op)
        .add_row("walk", {r.what, str(r.at), str(r.value), r.gives})
        .set_cursor("flatbuffer_hex", r.at / 16 + 1);
  }
  flat.weight_data = data + 4;
  flat.hops = static_cast<std::int64_t>(reads.size());
  const Tensor& w = constant_named(m.imported.graph, m.layers[0].name + ".weight");
  check(fr::vector_size(b, data) == w.numel() * 4 &&
            std::memcmp(b.data() + flat.weight_data, w.raw_data(), static_cast<std::size_t>(w.numel()) * 4) == 0,
        "the walk ends at dense_1.weight's float bytes", str(fr::vector_size(b, data)));
  check(region_at(regions, data).what.find(m.layers[0].name + ".weight' data") != std::string::npos,
        "flatbuffer_layout names the same place the weight's data", region_at(regions, data).what);
  // Loading: verify once, then rebuild the graph with constants pointing into the buffer.
  const graph::Graph loaded = cv::load_glassbox(b);
  const Tensor out = graph::run_fifo(loaded, graph::Feeds{{"x", m.x}}).outputs.at(0);
  check(out.shape() == m.output.shape() && out.to_vector() == m.output.to_vector(),
        "the loaded graph gives the imported graph's outputs bit for bit", out.str());
  check(cv::save_glassbox(loaded) == b, "saving the loaded graph gives the same bytes", "different bytes");
  rec.step("load_glassbox verifies the buffer once and rebuilds the graph; it runs to the same outputs bit for bit, "
           "and saving it again gives the same " + str(static_cast<std::int64_t>(b.size())) + " bytes.",
           Level::pass);
  return flat;
}

// --- 4. size and parsing --------------------------------------------------------------------------------

void sizes(Recorder& rec, const Model& m, const Flat& flat) {
  rec.section("4. Size and parsing");
  std::int64_t weight_bytes = 0;
  for (const Dense& d : m.layers) weight_bytes += (d.kernel.numel() + d.bias.numel()) * 4;
  const auto onnx_size = static_cast<std::int64_t>(m.onnx.size()), flat_size = static_cast<std::int64_t>(flat.bytes.size());
  const std::string weight = m.layers[0].name + ".weight";
  const std::int64_t fields = count_fields(m.onnx, 0, onnx_size, "ModelProto"), keys = keys_to_weight(m.onnx, weight);
  // Where the weights live after loading: parse_onnx copied them out of the protobuf into tensors of their
  // own; load_glassbox's constants are views into one copy of the whole buffer, at the walk's offset.
  const Tensor& parsed = constant_named(m.imported.graph, weight);
  check(parsed.storage()->nbytes == static_cast<std::size_t>(parsed.numel()) * 4,
        "parse_onnx's weight in a storage of its own (a copy)", str(static_cast<std::int64_t>(parsed.storage()->nbytes)));
  const graph::Graph loaded = cv::load_glassbox(flat.bytes);
  const Tensor& in_place = constant_named(loaded, weight);
  const std::ptrdiff_t at = static_cast<const std::byte*>(in_place.raw_data()) - in_place.storage()->data;
  check(in_place.storage()->nbytes == flat.bytes.size() && at == flat.weight_data,
        "load_glassbox's weight inside the buffer, at the offset the walk found (" + str(flat.weight_data) + ")", str(at));
  const Tensor& bias = constant_named(loaded, m.layers[0].name + ".bias");
  check(bias.shares_storage_with(in_place), "every constant in the same buffer", "another storage");
  // The last weight in the file: protobuf's reader scans past everything before it, FlatBuffers's does not.
  const std::string last = m.layers.back().name + ".bias";
  const std::int64_t keys_last = keys_to_weight(m.onnx, last);
  std::vector<fr::Read> reads_last;
  fr::walk_to_data(flat.bytes, last, reads_last);
  const auto hops_last = static_cast<std::int64_t>(reads_last.size());
  check(keys_last > keys && hops_last == flat.hops, "more keys to the last weight, the same number of offset reads",
        str(keys_last) + " keys, " + str(hops_last) + " reads");
  rec.add_scene(trace::table_scene("formats", "The same model in two formats",
                                   {"format", "bytes", "weight bytes", "structure bytes", "to reach " + weight,
                                    "to reach " + last, "the loaded weight"}));
  rec.step("ONNX: " + str(onnx_size) + " bytes for " + str(weight_bytes) + " bytes of weights; a reader reads " + str(keys) +
               " keys to reach " + weight + " and " + str(keys_last) + " to reach " + last +
               " (skipping messages by their length); parse_onnx decodes all " + str(fields) +
               " fields and copies the weights out.",
           Level::op)
      .add_row("formats", {"ONNX (protobuf)", str(onnx_size), str(weight_bytes), str(onnx_size - weight_bytes),
                           str(keys) + " keys read in order", str(keys_last) + " keys read in order",
                           "a copy (" + str(parsed.numel() * 4) + "-byte storage)"});
  rec.step("glassbox: " + str(flat_size) + " bytes; " + str(flat.hops) + " reads at known offsets reach " + weight +
               " or " + last + " alike, and the loaded constant points into the buffer at byte " +
               str(flat.weight_data) + ": nothing parsed, nothing copied.",
           Level::op)
      .add_row("formats", {"glassbox (FlatBuffers)", str(flat_size), str(weight_bytes), str(flat_size - weight_bytes),
                           str(flat.hops) + " reads at offsets", str(hops_last) + " reads at offsets",
                           "in place at byte " + str(flat.weight_data)});
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.1f", static_cast<double>(flat_size) / static_cast<double>(onnx_size));
  rec.step("FlatBuffers pays " + str(flat_size - onnx_size) + " more bytes here (" + ratio +
               "x: a table per value and op, vtables, 4-byte offsets, alignment) to read any field in a few loads "
               "and the weights in place.",
           Level::pass);
}

trace::Recording model_conversion(const Params& params) {
  Recorder rec("16-model-conversion", "Model conversion: ONNX, protobuf and FlatBuffers");
  const std::int64_t in = param_int(params, "in"), hidden = param_int(params, "hidden"), out = param_int(params, "out");
  const std::int64_t batch = param_int(params, "batch"), seed = param_int(params, "seed");
  if (in < 2 || in > 16 || hidden < 2 || hidden > 16 || out < 1 || out > 8 || batch < 1 || batch > 4 || seed < 0) {
    throw Error("lesson 16-model-conversion", "in and hidden in [2, 16], out in [1, 8], batch in [1, 4], seed >= 0",
                "in = " + str(in) + ", hidden = " + str(hidden) + ", out = " + str(out) + ", batch = " + str(batch) +
                    ", seed = " + str(seed));
  }
  cv::register_onnx_ops();
  Rng rng(static_cast<std::uint64_t>(seed));
  Model m;
  m.batch = batch;
  m.in = in;
  m.layers.push_back({"dense_1", rng.uniform({in, hidden}, -1, 1), rng.uniform({hidden}, -0.5, 0.5), true});
  m.layers.push_back({"dense_2", rng.uniform({hidden, out}, -1, 1), rng.uniform({out}, -0.5, 0.5), false});
  m.x = rng.uniform({batch, in}, -1, 1);
  conversion(rec, m);
  wire_format(rec, m);
  const Flat flat = flatbuffers(rec, m);
  sizes(rec, m, flat);
  return rec.take();
}

}  // namespace

Lesson lesson_16_model_conversion() {
  return {"16-model-conversion",
          "Model conversion: ONNX, protobuf and FlatBuffers",
          "Part III, inference engine",
          {{"in", "4", "input features of the MLP (2-16)"},
           {"hidden", "3", "units of dense_1 (2-16); with in, the shape of the kernel that is transposed"},
           {"out", "2", "units of dense_2 (1-8)"},
           {"batch", "2", "samples in the input (1-4)"},
           {"seed", "16", "seed of the weights and the input"}},
          lesson_text_16_model_conversion,
          model_conversion};
}

}  // namespace gb::lessons
