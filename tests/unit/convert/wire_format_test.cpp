// wire_format_test.cpp: the hand-written protobuf wire decoder (wire_format.hpp) against protobuf itself:
// ONNX messages serialized by libonnx's generated classes must decode to exactly the fields protobuf's
// reflection says were written (numbers, wire types, values, lengths), recursively; varint edge cases;
// damaged bytes give gb::Error at the right offset; the annotated hex dump names the fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

// libonnx's CMake target defines these; the test program links gb_convert, which uses onnx_proto
// privately, so the test sets them as the onnx_proto target would.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/onnx_pb.h>

#include "gb/convert/wire_format.hpp"
#include "gb/core/error.hpp"

namespace {

using gb::convert::decode_wire;
using gb::convert::WireField;
using google::protobuf::FieldDescriptor;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "";
}

// The wire type protobuf uses for a field (proto2 ONNX: repeated scalars are packed only when marked).
int wire_type_of(const FieldDescriptor& fd) {
  if (fd.is_packed()) return 2;
  switch (fd.type()) {
    case FieldDescriptor::TYPE_DOUBLE: case FieldDescriptor::TYPE_FIXED64: case FieldDescriptor::TYPE_SFIXED64: return 1;
    case FieldDescriptor::TYPE_FLOAT: case FieldDescriptor::TYPE_FIXED32: case FieldDescriptor::TYPE_SFIXED32: return 5;
    case FieldDescriptor::TYPE_STRING: case FieldDescriptor::TYPE_BYTES: case FieldDescriptor::TYPE_MESSAGE: return 2;
    default: return 0;
  }
}

// decode_wire(bytes[begin, end)) finds exactly the fields of `m`, in protobuf's order, with its values;
// nested messages are checked the same way. Returns the number of fields checked.
int expect_fields_of(const google::protobuf::Message& m, const std::string& bytes, std::int64_t begin, std::int64_t end) {
  const std::vector<WireField> fields = decode_wire(bytes, begin, end);
  std::vector<const FieldDescriptor*> set;
  m.GetReflection()->ListFields(m, &set);  // sorted by field number: protobuf's write order
  const auto* r = m.GetReflection();
  std::size_t next = 0;
  int checked = 0;
  for (const FieldDescriptor* fd : set) {
    const int occurrences = fd->is_repeated() && !fd->is_packed() ? r->FieldSize(m, fd) : 1;
    for (int k = 0; k < occurrences; ++k, ++next, ++checked) {
      if (next >= fields.size()) {
        ADD_FAILURE() << m.GetTypeName() << ": field " << fd->name() << " missing";
        return checked;
      }
      const WireField& f = fields[next];
      const std::string where = m.GetTypeName() + "." + fd->name() + "[" + std::to_string(k) + "]";
      EXPECT_EQ(f.field_number, fd->number()) << where;
      EXPECT_EQ(f.wire_type, wire_type_of(*fd)) << where;
      const std::string payload = bytes.substr(static_cast<std::size_t>(f.value_offset), static_cast<std::size_t>(f.value_size));
      if (fd->is_packed()) continue;
      const bool rep = fd->is_repeated();
      switch (fd->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          const auto& sub = rep ? r->GetRepeatedMessage(m, fd, k) : r->GetMessage(m, fd);
          EXPECT_EQ(static_cast<std::size_t>(f.value_size), sub.ByteSizeLong()) << where;
          checked += expect_fields_of(sub, bytes, f.value_offset, f.value_offset + f.value_size);
          break;
        }
        case FieldDescriptor::CPPTYPE_STRING:
          EXPECT_EQ(payload, rep ? r->GetRepeatedString(m, fd, k) : r->GetString(m, fd)) << where;
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          EXPECT_EQ(static_cast<std::int64_t>(f.varint), rep ? r->GetRepeatedInt64(m, fd, k) : r->GetInt64(m, fd)) << where;
          break;
        case FieldDescriptor::CPPTYPE_INT32:  // a negative int32 is sign-extended to 64 bits on the wire
          EXPECT_EQ(static_cast<std::int64_t>(f.varint), rep ? r->GetRepeatedInt32(m, fd, k) : r->GetInt32(m, fd)) << where;
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          EXPECT_EQ(static_cast<std::int64_t>(f.varint), rep ? r->GetRepeatedEnumValue(m, fd, k) : r->GetEnumValue(m, fd)) << where;
          break;
        case FieldDescriptor::CPPTYPE_FLOAT: {
          const float want = rep ? r->GetRepeatedFloat(m, fd, k) : r->GetFloat(m, fd);
          EXPECT_EQ(std::memcmp(payload.data(), &want, 4), 0) << where;
          break;
        }
        default: break;
      }
    }
  }
  EXPECT_EQ(next, fields.size()) << m.GetTypeName() << ": fields protobuf did not write";
  return checked;
}

// A small model: Conv(x, w) -> Relu, an initializer, attributes of four kinds, typed inputs.
onnx::ModelProto small_model() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("glassbox-test");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("g");
  onnx::NodeProto* conv = g->add_node();
  conv->add_input("x");
  conv->add_input("w");
  conv->add_output("c");
  conv->set_name("conv1");
  conv->set_op_type("Conv");
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int p : {1, 1, 1, 1}) pads->add_ints(p);
  auto* alpha = conv->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(0.25f);
  auto* neg = conv->add_attribute();
  neg->set_name("group");
  neg->set_type(onnx::AttributeProto::INT);
  neg->set_i(-3);
  onnx::NodeProto* relu = g->add_node();
  relu->add_input("c");
  relu->add_output("y");
  relu->set_op_type("Relu");
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int d : {1, 1, 3, 3}) w->add_dims(d);
  for (int i = 0; i < 9; ++i) w->add_float_data(0.5f * static_cast<float>(i));  // packed = true in onnx.proto
  onnx::ValueInfoProto* x = g->add_input();
  x->set_name("x");
  auto* type = x->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int d : {1, 1, 4, 4}) type->mutable_shape()->add_dim()->set_dim_value(d);
  g->add_output()->set_name("y");
  return model;
}

TEST(WireFormat, DecodesExactlyTheFieldsProtobufWrote) {
  const onnx::ModelProto model = small_model();
  const std::string bytes = model.SerializeAsString();
  const int checked = expect_fields_of(model, bytes, 0, static_cast<std::int64_t>(bytes.size()));
  EXPECT_GT(checked, 40);
  // The top level by hand: ir_version (1, varint 8), producer_name (2), graph (7), opset_import (8).
  const auto top = decode_wire(bytes);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].offset, 0);
  EXPECT_EQ(top[0].varint, 8u);
  EXPECT_EQ(top[2].field_number, 7);
  EXPECT_EQ(static_cast<std::size_t>(top[2].value_size), model.graph().ByteSizeLong());
  EXPECT_EQ(top[2].value_offset + top[2].value_size, top[3].offset);
}

TEST(WireFormat, DecodesRealOnnxFiles) {
  for (const char* name : {"test_relu", "test_conv_with_strides_padding", "test_if"}) {
    const std::string path = std::string("/usr/share/libonnx-testdata/data/node/") + name + "/model.onnx";
    std::ifstream in(path, std::ios::binary);
    if (!in) GTEST_SKIP() << "missing " << path;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(bytes)) << path;
    EXPECT_GT(expect_fields_of(model, bytes, 0, static_cast<std::int64_t>(bytes.size())), 10) << path;
  }
}

TEST(WireFormat, VarintEdgeCasesMatchProtobuf) {
  onnx::TensorProto t;
  const std::vector<std::int64_t> values = {0, 127, 128, 300, INT64_MIN, -1, INT64_MAX};
  for (std::int64_t v : values) t.add_dims(v);
  const std::string bytes = t.SerializeAsString();
  const auto fields = decode_wire(bytes);
  ASSERT_EQ(fields.size(), values.size());
  const std::vector<std::int64_t> sizes = {1, 1, 2, 2, 10, 10, 9};  // 7 bits per byte; 2^63 needs 10
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(static_cast<std::int64_t>(fields[i].varint), values[i]);
    EXPECT_EQ(fields[i].value_size, sizes[i]) << values[i];
    EXPECT_EQ(fields[i].key_size, 1);
  }
  EXPECT_EQ(bytes.substr(4, 3), std::string("\x08\x80\x01", 3)) << "128 = 0x80 0x01 after key 0x08";
  const std::string max = std::string("\x08", 1) + std::string(9, '\xff') + '\x01';  // 2^64 - 1
  EXPECT_EQ(decode_wire(max).at(0).varint, ~std::uint64_t{0});
}

TEST(WireFormat, DamagedBytesAreErrorsAtTheRightOffset) {
  auto given = [](const std::string& bytes) { return error_of([&] { decode_wire(bytes); }); };
  EXPECT_NE(given(std::string("\x08\x80", 2)).find("end of the bytes at offset 1"), std::string::npos);
  EXPECT_NE(given(std::string("\x08\x01\x0a\x05\x61", 5)).find("length 5 of field 1 at offset 2"), std::string::npos);
  EXPECT_NE(given(std::string("\x08\x01\x0b", 3)).find("wire type 3 (a group) at offset 2"), std::string::npos);
  EXPECT_NE(given(std::string("\x0e", 1)).find("wire type 6 at offset 0"), std::string::npos);
  EXPECT_NE(given(std::string("\x00", 1)).find("field number"), std::string::npos);
  EXPECT_NE(given(std::string("\x0d\x00\x00", 3)).find("4 bytes of field 1"), std::string::npos);
  EXPECT_NE(given(std::string("\x09\x00", 2)).find("8 bytes of field 1"), std::string::npos);
  EXPECT_NE(given(std::string("\x08", 1) + std::string(9, '\xff') + '\x02').find("fits in 64 bits"), std::string::npos);
  EXPECT_NE(error_of([] { decode_wire("ab", 1, 3); }).find("begin 1, end 3"), std::string::npos);
  // Every truncation of a real model is an error or a shorter valid prefix, never a crash.
  const std::string bytes = small_model().SerializeAsString();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    try {
      decode_wire(bytes.substr(0, n));
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error&) {
    }
  }
}

TEST(WireFormat, HexDumpNamesTheFields) {
  const std::string bytes = small_model().SerializeAsString();
  const std::string dump = gb::convert::annotated_hex_dump(bytes);
  for (const char* want : {"000000  08 08", "field 1 (ir_version) varint 8", "field 7 (graph) length ",
                           ": GraphProto", "  field 1 (node) length ", "field 4 (op_type) length 4 \"Conv\"",
                           "field 5 (attribute)", "field 2 (f) 32-bit 00 00 80 3e (float 0.25)",
                           "(-3 as int64)", "field 5 (initializer)", "field 1 (dim_value) varint 4",
                           "field 8 (opset_import)", "field 2 (version) varint 13"}) {
    EXPECT_NE(dump.find(want), std::string::npos) << want << "\n" << dump;
  }
  // node is nested one level deeper than graph.
  const auto graph_line = dump.find("field 7 (graph)"), node_line = dump.find("field 1 (node)");
  const auto line_start = [&](std::size_t at) { return dump.rfind('\n', at) + 1; };
  EXPECT_EQ(node_line - line_start(node_line), graph_line - line_start(graph_line) + 2);
  // Without a schema: numbers only, nested messages shown as bytes.
  const std::string plain = gb::convert::annotated_hex_dump(bytes, "");
  EXPECT_EQ(plain.find("(graph)"), std::string::npos);
  EXPECT_NE(plain.find("field 7 length "), std::string::npos);
  // max_lines, and a damaged message ends with a line naming the error.
  const std::string short_dump = gb::convert::annotated_hex_dump(bytes, "ModelProto", gb::convert::onnx_field_names(), 5);
  EXPECT_EQ(std::count(short_dump.begin(), short_dump.end(), '\n'), 5);
  EXPECT_NE(short_dump.find("..."), std::string::npos);
  const std::string damaged = gb::convert::annotated_hex_dump(bytes.substr(0, bytes.size() - 3));
  EXPECT_NE(damaged.find("! decode_wire"), std::string::npos) << damaged;
}

// The seeds of tests/fuzz/fuzz_wire_format.cpp: rewritten with GB_REGENERATE_FUZZ_SEED=1.
TEST(WireFormatFuzzSeed, WritesTheSeedCorpus) {
  if (std::getenv("GB_REGENERATE_FUZZ_SEED") == nullptr) GTEST_SKIP() << "set GB_REGENERATE_FUZZ_SEED=1 to rewrite";
  const std::string dir = std::string(GB_SOURCE_DIR) + "/tests/fuzz/corpus/wire_format/";
  onnx::TensorProto varints;
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{127}, std::int64_t{128}, std::int64_t{-1}}) varints.add_dims(v);
  varints.set_raw_data(std::string("\x01\x02\x03\x04", 4));
  varints.add_double_data(1.5);  // packed doubles: wire type 2 holding 64-bit values
  for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"small_model.onnx", small_model().SerializeAsString()},
                                    {"tensor_varints.pb", varints.SerializeAsString()}}) {
    std::ofstream(dir + name, std::ios::binary) << bytes;
  }
}

}  // namespace
