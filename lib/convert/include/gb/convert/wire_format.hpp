// wire_format.hpp: protobuf's wire format read by hand (lesson 16), the bytes under every ONNX file.
//
// A message is a sequence of fields; each field is a key, a varint (field_number << 3) | wire_type, then a
// value: wire type 0 a varint (7 bits per byte, the high bit says "more"), 1 eight bytes, 2 a varint length
// then that many bytes (a string, bytes, a packed repeated field, or a nested message), 5 four bytes. No
// field names travel: the .proto schema gives them. decode_wire reads one message's fields without a
// schema; annotated_hex_dump prints the bytes beside what each one means (the lesson's hex dump).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gb::convert {

struct WireField {
  std::int64_t offset = 0;        // of the key's first byte
  std::int64_t key_size = 0;      // bytes of the key varint
  std::int64_t field_number = 0;
  int wire_type = 0;              // 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit (3, 4: groups: gb::Error)
  std::uint64_t varint = 0;       // wire type 0, or the raw bits of types 1 and 5
  std::int64_t value_offset = 0;  // where the value (after a length varint for type 2) starts
  std::int64_t value_size = 0;    // bytes of the value
};

// The fields of the message in bytes[begin, end) (end -1: to the end). Throws gb::Error("decode_wire",
// expected, given at offset N) for a truncated varint, a length past the end, a wire type 3, 4, 6 or 7.
std::vector<WireField> decode_wire(const std::string& bytes, std::int64_t begin = 0, std::int64_t end = -1);

// Field names for the annotations: message name -> field number -> (field name, nested message name or "").
// onnx_field_names() knows ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto,
// TypeProto, TensorShapeProto, OperatorSetIdProto (from onnx.proto).
using WireSchema = std::map<std::string, std::map<std::int64_t, std::pair<std::string, std::string>>>;
const WireSchema& onnx_field_names();

// One line per field, nested messages indented, at most max_lines lines: offset, the key's bytes in hex,
// "field 7 (graph) wire type 2 length 123", then for scalars the value and for short strings the text.
// root: the message type of the whole buffer ("ModelProto"), or "" for no names. A length-delimited field
// whose schema entry names a message is decoded recursively; without a schema it is shown as bytes.
std::string annotated_hex_dump(const std::string& bytes, const std::string& root = "ModelProto",
                               const WireSchema& schema = onnx_field_names(), std::int64_t max_lines = 400);

}  // namespace gb::convert
