// onnx_writer.hpp: lesson 16's protobuf encoder, just enough of the wire format to write an ONNX model
// by hand, so that every byte the lesson's hex dump shows was put there by a line of this file.
//
// A protobuf message is a list of fields; each field is a key, the varint (field_number << 3) | wire_type,
// then its value: wire type 0 a varint, wire type 2 a varint length and that many bytes (a string, the
// bytes of a tensor, or a whole nested message). Field names never travel: onnx.proto gives the numbers,
// quoted above each writer. Fields are written in field-number order, as protobuf's own serializer does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/shape.hpp"

namespace gb::lessons::onnx_writer {

// 7 bits a byte, least significant group first; the high bit says "another byte follows".
// 150 -> 96 01, 300 -> ac 02 (the examples of protobuf's encoding guide).
inline std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

constexpr int kVarint = 0;  // wire type of int64, enum, bool
constexpr int kLength = 2;  // wire type of string, bytes, nested messages

inline std::string key(std::int64_t field, int wire_type) {
  return varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
}
inline std::string varint_field(std::int64_t field, std::uint64_t value) { return key(field, kVarint) + varint(value); }
inline std::string length_field(std::int64_t field, const std::string& payload) {
  return key(field, kLength) + varint(payload.size()) + payload;
}

constexpr std::uint64_t kFloat = 1;         // TensorProto.DataType FLOAT
constexpr std::uint64_t kAttributeInt = 2;  // AttributeProto.AttributeType INT

// ValueInfoProto { string name = 1; TypeProto type = 2; }
// TypeProto { Tensor tensor_type = 1; }   TypeProto.Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
// TensorShapeProto { repeated Dimension dim = 1; }   Dimension { int64 dim_value = 1; }
inline std::string value_info(const std::string& name, const Shape& dims) {
  std::string shape;
  for (const std::int64_t d : dims) shape += length_field(1, varint_field(1, static_cast<std::uint64_t>(d)));
  const std::string tensor_type = varint_field(1, kFloat) + length_field(2, shape);
  return length_field(1, name) + length_field(2, length_field(1, tensor_type));
}

// AttributeProto { string name = 1; int64 i = 3; AttributeType type = 20; }: field 20 needs a 2-byte key.
inline std::string int_attribute(const std::string& name, std::int64_t value) {
  return length_field(1, name) + varint_field(3, static_cast<std::uint64_t>(value)) + varint_field(20, kAttributeInt);
}

// NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
//             repeated AttributeProto attribute = 5; }
inline std::string node(const std::vector<std::string>& inputs, const std::string& output, const std::string& name,
                        const std::string& op_type, const std::vector<std::string>& attributes = {}) {
  std::string out;
  for (const std::string& in : inputs) out += length_field(1, in);
  out += length_field(2, output) + length_field(3, name) + length_field(4, op_type);
  for (const std::string& a : attributes) out += length_field(5, a);
  return out;
}

// GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
//              repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
inline std::string graph(const std::vector<std::string>& nodes, const std::string& name,
                         const std::vector<std::string>& initializers, const std::string& input,
                         const std::string& output) {
  std::string out;
  for (const std::string& n : nodes) out += length_field(1, n);
  out += length_field(2, name);
  for (const std::string& t : initializers) out += length_field(5, t);
  return out + length_field(11, input) + length_field(12, output);
}

// ModelProto { int64 ir_version = 1; string producer_name = 2; GraphProto graph = 7;
//              repeated OperatorSetIdProto opset_import = 8; }   OperatorSetIdProto { int64 version = 2; }
inline std::string model(std::int64_t ir_version, const std::string& producer, const std::string& graph_bytes,
                         std::int64_t opset) {
  return varint_field(1, static_cast<std::uint64_t>(ir_version)) + length_field(2, producer) +
         length_field(7, graph_bytes) + length_field(8, varint_field(2, static_cast<std::uint64_t>(opset)));
}

}  // namespace gb::lessons::onnx_writer
