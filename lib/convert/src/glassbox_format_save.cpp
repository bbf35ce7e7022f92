// glassbox_format_save.cpp: save_glassbox (glassbox_format.hpp), a gb::graph::Graph into a FlatBuffers
// buffer of schema/glassbox.fbs, and the file writer.
//
// A FlatBufferBuilder fills its buffer from the back: every string, vector and table is finished before
// the table that points at it starts, and Finish() writes the root offset and "GBOX" at the front. So
// the code below writes children first (a subgraph before the op that refers to it, the tensors before
// the Net). Everything is visited in a fixed order (nodes by id, attributes by key), which makes the
// bytes deterministic: the same graph gives the same buffer.
#include <bit>
#include <fstream>

#include "gb/convert/glassbox_format.hpp"
#include "glassbox_generated.h"

namespace gb::convert {

namespace {

// Tensor data are copied as they lie in memory; the format says little-endian (as FlatBuffers does).
static_assert(std::endian::native == std::endian::little, "glassbox files are little-endian");

constexpr std::size_t kDataAlignment = 16;  // so that a loaded tensor can point into the buffer

fb::DataType to_fb(DType dtype) {
  switch (dtype) {
    case DType::f32: return fb::DataType::FLOAT32;
    case DType::f64: return fb::DataType::FLOAT64;
    case DType::i8: return fb::DataType::INT8;
    case DType::u8: return fb::DataType::UINT8;
    case DType::i32: return fb::DataType::INT32;
    case DType::i64: return fb::DataType::INT64;
  }
  return fb::DataType::FLOAT32;  // unreachable: every enumerator is handled above
}

// The data format of a value: the "data_format" attribute of its producer, ND when it has none.
fb::DATA_FORMAT format_of(const graph::Node& producer) {
  auto it = producer.attrs.find("data_format");
  const std::string* format = it == producer.attrs.end() ? nullptr : std::get_if<std::string>(&it->second);
  if (format == nullptr) return fb::DATA_FORMAT::ND;
  if (*format == "NCHW") return fb::DATA_FORMAT::NCHW;
  if (*format == "NHWC") return fb::DATA_FORMAT::NHWC;
  if (*format == "NC4HW4") return fb::DATA_FORMAT::NC4HW4;
  return fb::DATA_FORMAT::ND;
}

class Writer {
 public:
  std::string finish(const graph::Graph& graph) {
    const GraphTables root = write_graph(graph);
    const auto subgraphs = builder_.CreateVector(subgraphs_);
    const auto net = fb::CreateNet(builder_, 0, root.inputs, root.outputs, root.tensors, root.ops, subgraphs);
    builder_.Finish(net, fb::NetIdentifier());
    return std::string(reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize());
  }

 private:
  using Builder = flatbuffers::FlatBufferBuilder;
  template <class T> using Offset = flatbuffers::Offset<T>;
  template <class T> using VectorOffset = Offset<flatbuffers::Vector<T>>;

  // The parts Net and SubGraph share.
  struct GraphTables {
    VectorOffset<std::int32_t> inputs, outputs;
    VectorOffset<Offset<fb::Tensor>> tensors;
    VectorOffset<Offset<fb::Op>> ops;
  };

  // Empty strings and lists are left out: an absent field reads as empty.
  Offset<flatbuffers::String> string(const std::string& s) { return s.empty() ? 0 : builder_.CreateString(s); }
  template <class T> VectorOffset<T> vector(const std::vector<T>& v) {
    return v.empty() ? 0 : builder_.CreateVector(v);
  }
  static std::vector<std::int32_t> indexes(const std::vector<graph::ValueId>& ids) {
    return std::vector<std::int32_t>(ids.begin(), ids.end());
  }

  // The bytes of a tensor, row-major, aligned so that the loader can view them in place.
  VectorOffset<std::uint8_t> data(const Tensor& value) {
    const Tensor t = value.contiguous();
    const std::size_t nbytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    builder_.ForceVectorAlignment(nbytes, 1, kDataAlignment);
    return builder_.CreateVector(static_cast<const std::uint8_t*>(t.raw_data()), nbytes);
  }

  Offset<fb::Tensor> tensor(const std::string& name, const graph::ValueInfo& info, fb::DATA_FORMAT format,
                            VectorOffset<std::uint8_t> bytes) {
    const auto name_offset = string(name);
    const auto shape = vector(info.shape);
    return fb::CreateTensor(builder_, name_offset, to_fb(info.dtype), format, shape, bytes);
  }

  // A subgraph gets its index in Net.subgraphs before its own subgraphs do (pre-order), so a GraphRef
  // always points to a later subgraph than the graph it is in: the loader relies on that (no cycles).
  std::int32_t write_subgraph(const graph::Graph& graph, const std::string& name) {
    const auto index = static_cast<std::int32_t>(subgraphs_.size());
    subgraphs_.emplace_back();
    const GraphTables parts = write_graph(graph);
    const auto name_offset = string(name);
    subgraphs_[static_cast<std::size_t>(index)] =
        fb::CreateSubGraph(builder_, name_offset, parts.inputs, parts.outputs, parts.tensors, parts.ops);
    return index;
  }

  // One parameter. A tensor attribute becomes a TensorRef: a constant's value is its own output tensor
  // (which carries the data); any other tensor attribute is appended to the graph's tensors.
  Offset<fb::Param> param(const graph::Graph& graph, const graph::Node& node, const std::string& key,
                          const graph::Attribute& value, std::vector<Offset<fb::Tensor>>& extra_tensors) {
    fb::ParamValue type = fb::ParamValue::NONE;
    Offset<void> offset;
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      type = fb::ParamValue::IntValue;
      offset = fb::CreateIntValue(builder_, *i).Union();
    } else if (const auto* f = std::get_if<double>(&value)) {
      type = fb::ParamValue::FloatValue;
      offset = fb::CreateFloatValue(builder_, *f).Union();
    } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
      type = fb::ParamValue::IntsValue;
      const auto values = builder_.CreateVector(*ints);  // kept even when empty: [] is a value
      offset = fb::CreateIntsValue(builder_, values).Union();
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      type = fb::ParamValue::StringValue;
      const auto text = builder_.CreateString(*s);
      offset = fb::CreateStringValue(builder_, text).Union();
    } else if (const auto* t = std::get_if<Tensor>(&value)) {
      type = fb::ParamValue::TensorRef;
      std::int64_t index = node.outputs.empty() ? 0 : node.outputs[0];
      if (node.op != "constant") {
        index = static_cast<std::int64_t>(graph.values().size() + extra_tensors.size());
        const auto bytes = data(*t);
        extra_tensors.push_back(tensor(node.name + "." + key, {t->dtype(), t->shape()}, fb::DATA_FORMAT::ND, bytes));
      }
      offset = fb::CreateTensorRef(builder_, static_cast<std::int32_t>(index)).Union();
    } else if (const auto* g = std::get_if<graph::GraphPtr>(&value)) {
      type = fb::ParamValue::GraphRef;
      const std::int32_t index = write_subgraph(**g, node.name + "." + key);
      offset = fb::CreateGraphRef(builder_, index).Union();
    }
    const auto key_offset = builder_.CreateString(key);
    return fb::CreateParam(builder_, key_offset, type, offset);
  }

  GraphTables write_graph(const graph::Graph& graph) {
    std::vector<Offset<fb::Tensor>> extra_tensors;
    std::vector<Offset<fb::Op>> ops;
    for (const graph::Node& node : graph.nodes()) {
      std::vector<Offset<fb::Param>> params;
      for (const auto& [key, value] : node.attrs) params.push_back(param(graph, node, key, value, extra_tensors));
      const auto inputs = vector(indexes(node.inputs));
      const auto outputs = vector(indexes(node.outputs));
      const auto type = builder_.CreateString(node.op);
      const auto name = string(node.name);
      const auto group = string(node.group);
      const auto param_vector = vector(params);
      ops.push_back(fb::CreateOp(builder_, inputs, outputs, type, name, group, param_vector));
    }
    // The values, index == ValueId; a constant's output carries the constant's data.
    std::vector<Offset<fb::Tensor>> tensors;
    for (const graph::Value& value : graph.values()) {
      const graph::Node& producer = graph.node(value.producer);
      VectorOffset<std::uint8_t> bytes = 0;
      if (producer.op == "constant") bytes = data(producer.attr_tensor("value"));
      tensors.push_back(tensor(value.name, value.info, format_of(producer), bytes));
    }
    tensors.insert(tensors.end(), extra_tensors.begin(), extra_tensors.end());
    GraphTables parts;
    parts.inputs = vector(indexes(graph.inputs()));
    parts.outputs = vector(indexes(graph.outputs()));
    parts.tensors = vector(tensors);
    parts.ops = vector(ops);
    return parts;
  }

  Builder builder_{1024};
  std::vector<Offset<fb::SubGraph>> subgraphs_;  // index = GraphRef index
};

}  // namespace

std::string save_glassbox(const graph::Graph& graph) { return Writer().finish(graph); }

void save_glassbox_file(const graph::Graph& graph, const std::string& path) {
  const std::string bytes = save_glassbox(graph);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("save_glassbox_file", "a path that can be written", "'" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error("save_glassbox_file", "a complete write", "an error writing '" + path + "'");
}

}  // namespace gb::convert
