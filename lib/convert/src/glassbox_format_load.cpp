// glassbox_format_load.cpp: load_glassbox (glassbox_format.hpp): verify a FlatBuffers buffer, then
// rebuild the gb::graph::Graph it holds.
//
// Two checks stand between untrusted bytes and the graph:
//   1. flatbuffers::Verifier walks the buffer once and checks that every offset, vtable, vector length,
//      string terminator and union lands inside the buffer (and that tables do not nest past 64 levels).
//      After that, the generated accessors cannot read out of bounds: this is what "zero-parse" costs.
//   2. Our own checks, on what the verifier cannot know: tensor indexes in range, every value produced
//      by exactly one earlier op, shapes that match the data's size, enum values in range, op names in
//      gb::graph's registry; and Graph::add_node re-runs each op's shape inference, which must agree with
//      the shapes stored in the file.
// Each check fails with a gb::Error that names the op (by position and name) and what is wrong.
//
// Zero-copy: the buffer is copied once into a 64-byte-aligned Storage; every constant is a Tensor
// viewing its data inside that Storage (Tensor::from_storage), which the tensors keep alive.
#include <cstring>
#include <fstream>
#include <sstream>

#include "gb/control/functional.hpp"
#include "gb/convert/glassbox_format.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/registry.hpp"
#include "glassbox_generated.h"

namespace gb::convert {

namespace {

const char* const kOp = "load_glassbox";
constexpr int kMaxSubgraphDepth = 64;
constexpr std::int64_t kMaxRank = 16;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;  // so that no shape arithmetic overflows

DType from_fb(fb::DataType dtype) {
  switch (dtype) {
    case fb::DataType::FLOAT32: return DType::f32;
    case fb::DataType::FLOAT64: return DType::f64;
    case fb::DataType::INT8: return DType::i8;
    case fb::DataType::UINT8: return DType::u8;
    case fb::DataType::INT32: return DType::i32;
    case fb::DataType::INT64: return DType::i64;
  }
  throw Error(kOp, "a DataType from FLOAT32 to INT64", std::to_string(static_cast<int>(dtype)));
}

std::string str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

template <class T> std::size_t count(const flatbuffers::Vector<T>* v) { return v == nullptr ? 0 : v->size(); }

// A [long] vector as int64s. The verifier checks the alignment of a vector's 4-byte length, not of its
// 8-byte elements, and reading a misaligned int64 is undefined behaviour: such a vector is an error.
std::vector<std::int64_t> longs(const flatbuffers::Vector<std::int64_t>* v, const std::string& what) {
  if (v == nullptr) return {};
  if (reinterpret_cast<std::uintptr_t>(v->Data()) % alignof(std::int64_t) != 0) {
    throw Error(kOp, "8-byte integers aligned to 8 bytes for " + what, "a misaligned vector");
  }
  return std::vector<std::int64_t>(v->begin(), v->end());
}

class Loader {
 public:
  Loader(std::shared_ptr<Storage> storage, const fb::Net& net) : storage_(std::move(storage)), net_(net) {
    used_subgraphs_.assign(count(net.subgraphs()), false);
  }

  graph::Graph root() { return build(net_, -1, 0); }

 private:
  // Where an error is: "subgraph 2 op 5 'conv1'".
  static std::string where(std::int64_t subgraph, std::size_t op, const std::string& name) {
    return (subgraph >= 0 ? "subgraph " + std::to_string(subgraph) + " " : std::string()) + "op " +
           std::to_string(op) + " '" + name + "'";
  }

  // dtype and shape of a stored tensor, checked: rank <= 16, sizes >= -1 (>= 0 with data), and at most
  // 2^40 elements, so that shape inference and numel() stay far from overflow.
  static graph::ValueInfo info_of(const fb::Tensor& t, bool with_data, const std::string& what) {
    graph::ValueInfo info;
    info.dtype = from_fb(t.dtype());
    if (static_cast<int>(t.format()) < 0 || t.format() > fb::DATA_FORMAT::MAX) {
      throw Error(kOp, "a DATA_FORMAT of ND, NCHW, NHWC or NC4HW4 for " + what, std::to_string(static_cast<int>(t.format())));
    }
    const std::size_t rank = count(t.shape());
    if (rank > static_cast<std::size_t>(kMaxRank)) throw Error(kOp, "at most 16 axes for " + what, std::to_string(rank));
    const std::vector<std::int64_t> shape = longs(t.shape(), what);
    std::int64_t elements = 1;
    for (std::size_t k = 0; k < rank; ++k) {
      const std::int64_t size = shape[k];
      if (size < (with_data ? 0 : -1) || size > kMaxElements ||
          __builtin_mul_overflow(elements, size < 1 ? 1 : size, &elements) || elements > kMaxElements) {
        throw Error(kOp, std::string("sizes ") + (with_data ? ">= 0" : ">= -1") + " and at most 2^40 elements for " + what,
                    "size " + std::to_string(size) + " on axis " + std::to_string(k));
      }
      info.shape.push_back(size);
    }
    return info;
  }

  // A constant: a view into the buffer's Storage, after checking that the data fill the shape exactly.
  Tensor data_of(const fb::Tensor& t, const std::string& what) const {
    const graph::ValueInfo info = info_of(t, true, what);
    if (t.data() == nullptr) throw Error(kOp, "a tensor with data for " + what, "a tensor without data");
    const std::int64_t expected = shape_numel(info.shape) * static_cast<std::int64_t>(dtype_size(info.dtype));
    if (static_cast<std::int64_t>(t.data()->size()) != expected) {
      throw Error(kOp, std::to_string(expected) + " bytes of data for " + what + " (" + graph::info_str(info) + ")",
                  std::to_string(t.data()->size()) + " bytes");
    }
    const auto offset = reinterpret_cast<const std::byte*>(t.data()->data()) - storage_->data;
    if (offset % static_cast<std::ptrdiff_t>(dtype_size(info.dtype)) != 0) {
      throw Error(kOp, "data aligned to its element size for " + what, "data at byte " + std::to_string(offset));
    }
    return Tensor::from_storage(storage_, info.dtype, info.shape, contiguous_strides(info.shape),
                                offset / static_cast<std::ptrdiff_t>(dtype_size(info.dtype)));
  }

  // The attribute value of one Param. Union members are checked here: the verifier accepts an unknown
  // union type (for forward compatibility) and an absent value.
  template <class G>
  graph::Attribute attribute(const G& g, const fb::Param& p, std::int64_t subgraph, int depth, const std::string& what) {
    const auto bad = [&](const std::string& expected, const std::string& given) { return Error(kOp, expected + " for " + what, given); };
    if (p.value() == nullptr) throw bad("a parameter with a value", "type " + std::to_string(static_cast<int>(p.value_type())));
    switch (p.value_type()) {
      case fb::ParamValue::IntValue: return std::int64_t{p.value_as_IntValue()->value()};
      case fb::ParamValue::FloatValue: return p.value_as_FloatValue()->value();
      case fb::ParamValue::IntsValue: return longs(p.value_as_IntsValue()->values(), what);
      case fb::ParamValue::StringValue: return str(p.value_as_StringValue()->value());
      case fb::ParamValue::TensorRef: {
        const std::int32_t index = p.value_as_TensorRef()->index();
        if (index < 0 || static_cast<std::size_t>(index) >= count(g.tensors())) {
          throw bad("a tensor index in [0, " + std::to_string(count(g.tensors())) + ")", std::to_string(index));
        }
        return data_of(*g.tensors()->Get(static_cast<flatbuffers::uoffset_t>(index)), what);
      }
      case fb::ParamValue::GraphRef: {
        const std::int32_t index = p.value_as_GraphRef()->index();
        // The writer numbers subgraphs in pre-order, so a reference always points forward: no cycles.
        if (index <= subgraph || static_cast<std::size_t>(index) >= used_subgraphs_.size()) {
          throw bad("a subgraph index in [" + std::to_string(subgraph + 1) + ", " + std::to_string(used_subgraphs_.size()) + ")",
                    std::to_string(index));
        }
        if (used_subgraphs_[static_cast<std::size_t>(index)]) throw bad("a subgraph used once", "subgraph " + std::to_string(index) + " again");
        if (depth >= kMaxSubgraphDepth) throw bad("subgraphs nested at most 64 deep", "more");
        used_subgraphs_[static_cast<std::size_t>(index)] = true;
        const fb::SubGraph& sub = *net_.subgraphs()->Get(static_cast<flatbuffers::uoffset_t>(index));
        return std::make_shared<const graph::Graph>(build(sub, index, depth + 1));
      }
      default: break;
    }
    throw bad("a parameter type from IntValue to GraphRef", std::to_string(static_cast<int>(p.value_type())));
  }

  // Rebuilds a Net or a SubGraph (the same fields): ops in order through placeholder / constant /
  // add_node, then checks the listed inputs and sets the outputs.
  template <class G> graph::Graph build(const G& g, std::int64_t subgraph, int depth) {
    const std::size_t num_tensors = count(g.tensors());
    std::vector<graph::ValueId> value_of(num_tensors, -1);  // file tensor index -> ValueId, -1 = not produced
    const auto tensor_index = [&](std::int32_t index, const std::string& what) {
      if (index < 0 || static_cast<std::size_t>(index) >= num_tensors) {
        throw Error(kOp, "a tensor index in [0, " + std::to_string(num_tensors) + ") for " + what, std::to_string(index));
      }
      return static_cast<std::size_t>(index);
    };
    graph::Graph graph;
    for (std::size_t k = 0; k < count(g.oplists()); ++k) {
      const fb::Op& op = *g.oplists()->Get(static_cast<flatbuffers::uoffset_t>(k));
      const std::string type = str(op.type()), name = str(op.name()), what = where(subgraph, k, name);
      std::vector<graph::ValueId> inputs;
      for (std::size_t i = 0; i < count(op.input_indexes()); ++i) {
        const std::size_t t = tensor_index(op.input_indexes()->Get(static_cast<flatbuffers::uoffset_t>(i)), what);
        if (value_of[t] < 0) throw Error(kOp, "inputs produced by earlier ops for " + what, "tensor " + std::to_string(t));
        inputs.push_back(value_of[t]);
      }
      graph::Attributes attrs;
      for (std::size_t i = 0; i < count(op.params()); ++i) {
        const fb::Param& p = *op.params()->Get(static_cast<flatbuffers::uoffset_t>(i));
        if (!attrs.emplace(str(p.key()), attribute(g, p, subgraph, depth, what)).second) {
          throw Error(kOp, "parameter names used once for " + what, "'" + str(p.key()) + "' again");
        }
      }
      const std::size_t num_outputs = count(op.output_indexes());
      std::vector<graph::ValueId> outputs;
      if (type == "placeholder" || type == "constant") {
        const char* key = type == "placeholder" ? "name" : "value";
        if (!inputs.empty() || num_outputs != 1 || attrs.size() != 1 || attrs.count(key) == 0) {
          throw Error(kOp, type + " with no inputs, one output and only the parameter " + key + " for " + what,
                      std::to_string(inputs.size()) + " inputs, " + std::to_string(num_outputs) + " outputs, " +
                          std::to_string(attrs.size()) + " parameters");
        }
        graph::Node check;  // typed access with its gb::Error for a mistyped parameter
        check.op = type;
        check.attrs = attrs;
        if (type == "placeholder") {
          const std::size_t out = tensor_index(op.output_indexes()->Get(0), what);
          const graph::ValueInfo info = info_of(*g.tensors()->Get(static_cast<flatbuffers::uoffset_t>(out)), false, what);
          outputs.push_back(graph.placeholder(check.attr_string("name"), info));
        } else {
          outputs.push_back(graph.constant(check.attr_tensor("value"), name));
        }
      } else {
        if (!graph::has_op(type)) throw Error(kOp, "an op registered in gb::graph for " + what, "'" + type + "'");
        outputs = graph.add_node(type, inputs, std::move(attrs), name);  // runs the op's shape inference
      }
      if (outputs.size() != num_outputs) {
        throw Error(kOp, std::to_string(outputs.size()) + " outputs (what " + type + " infers) for " + what,
                    std::to_string(num_outputs) + " output indexes");
      }
      for (std::size_t i = 0; i < num_outputs; ++i) {
        const std::size_t t = tensor_index(op.output_indexes()->Get(static_cast<flatbuffers::uoffset_t>(i)), what);
        if (value_of[t] >= 0) throw Error(kOp, "each tensor produced once for " + what, "tensor " + std::to_string(t) + " again");
        const fb::Tensor& stored = *g.tensors()->Get(static_cast<flatbuffers::uoffset_t>(t));
        const graph::ValueInfo info = info_of(stored, false, what);
        if (info != graph.value(outputs[i]).info) {
          throw Error(kOp, "output " + std::to_string(i) + " of " + what + " as inferred: " +
                               graph::info_str(graph.value(outputs[i]).info),
                      "tensor " + std::to_string(t) + " stored as " + graph::info_str(info));
        }
        value_of[t] = outputs[i];
        graph.set_value_name(outputs[i], str(stored.name()));
      }
      if (op.group() != nullptr) graph.set_group(static_cast<graph::NodeId>(graph.size() - 1), op.group()->str());
    }
    // The listed inputs must be the placeholders, in order (Graph::inputs() is exactly that).
    std::vector<graph::ValueId> listed;
    for (std::size_t i = 0; i < count(g.input_indexes()); ++i) {
      listed.push_back(value_of[tensor_index(g.input_indexes()->Get(static_cast<flatbuffers::uoffset_t>(i)), "the inputs")]);
    }
    if (listed != graph.inputs()) throw Error(kOp, "input indexes that list the placeholders in order", "another list");
    std::vector<graph::ValueId> outputs;
    for (std::size_t i = 0; i < count(g.output_indexes()); ++i) {
      const std::size_t t = tensor_index(g.output_indexes()->Get(static_cast<flatbuffers::uoffset_t>(i)), "the outputs");
      if (value_of[t] < 0) throw Error(kOp, "outputs produced by an op", "tensor " + std::to_string(t));
      outputs.push_back(value_of[t]);
    }
    graph.set_outputs(outputs);
    return graph;
  }

  std::shared_ptr<Storage> storage_;
  const fb::Net& net_;
  std::vector<bool> used_subgraphs_;
};

}  // namespace

graph::Graph load_glassbox(const std::string& bytes) {
  // A glassbox file may hold any op: make sure the ONNX set and If / While are in the registry.
  register_onnx_ops();
  control::register_ops();
  if (bytes.size() < 8 || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    throw Error(kOp, "a FlatBuffers buffer of at least 8 bytes and under 2 GiB", std::to_string(bytes.size()) + " bytes");
  }
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), fb::NetIdentifier())) {
    throw Error(kOp, "the file identifier 'GBOX' at bytes 4 to 7", "'" + bytes.substr(4, 4) + "'");
  }
  const std::shared_ptr<Storage> storage = Storage::allocate(bytes.size());
  std::memcpy(storage->data, bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const std::uint8_t*>(storage->data);
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!fb::VerifyNetBuffer(verifier)) {
    throw Error(kOp, "a buffer the FlatBuffers verifier accepts (every offset and length inside it)",
                "a buffer it rejects (" + std::to_string(bytes.size()) + " bytes)");
  }
  return Loader(storage, *fb::GetNet(data)).root();
}

graph::Graph load_glassbox_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("load_glassbox_file", "a readable glassbox file", "'" + path + "'");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return load_glassbox(bytes.str());
}

}  // namespace gb::convert
