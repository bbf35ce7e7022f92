// fuzz_wire_format.cpp: libFuzzer harness for the protobuf wire decoder (gb::convert, lesson 16).
//
// Property: decode_wire either throws gb::Error or returns fields that tile the bytes exactly (each
// key starts where the previous value ended, every value inside the bytes, wire types 0, 1, 2, 5);
// annotated_hex_dump never throws for any bytes (damage becomes a "!" line) and keeps to max_lines.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/convert/wire_format.hpp"
#include "gb/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string dump = gb::convert::annotated_hex_dump(bytes, "ModelProto", gb::convert::onnx_field_names(), 200);
  if (std::count(dump.begin(), dump.end(), '\n') > 200) std::abort();
  std::vector<gb::convert::WireField> fields;
  try {
    fields = gb::convert::decode_wire(bytes);
  } catch (const gb::Error&) {
    return 0;
  }
  std::int64_t at = 0;
  for (const gb::convert::WireField& f : fields) {
    const bool known_type = f.wire_type == 0 || f.wire_type == 1 || f.wire_type == 2 || f.wire_type == 5;
    // The value follows the key directly, or after a length varint of 1 to 10 bytes (wire type 2).
    const std::int64_t gap = f.value_offset - (f.offset + f.key_size);
    const bool value_placed = f.wire_type == 2 ? gap >= 1 && gap <= 10 : gap == 0;
    if (f.offset != at || !known_type || f.field_number < 1 || !value_placed) std::abort();
    at = f.value_offset + f.value_size;
    if (at > static_cast<std::int64_t>(size) || f.value_size < 0) std::abort();
  }
  if (at != static_cast<std::int64_t>(size)) std::abort();
  return 0;
}
