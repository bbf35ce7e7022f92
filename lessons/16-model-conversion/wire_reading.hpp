// wire_reading.hpp: lesson 16's two questions to protobuf bytes, answered with decode_wire: how many
// fields does a full parse decode, and how many keys must a reader read to reach one weight? A protobuf
// reader cannot jump: it reads keys in order, and can only skip a field it does not want by its length.
#pragma once

#include <cstdint>
#include <string>

#include "gb/convert/wire_format.hpp"
#include "gb/core/error.hpp"

namespace gb::lessons::wire_reading {

// Every field of the message `type` in bytes[begin, end), nested messages included.
inline std::int64_t count_fields(const std::string& bytes, std::int64_t begin, std::int64_t end, const std::string& type) {
  const auto& schema = convert::onnx_field_names();
  const auto names = schema.find(type);
  std::int64_t count = 0;
  for (const convert::WireField& f : convert::decode_wire(bytes, begin, end)) {
    ++count;
    if (names == schema.end() || f.wire_type != 2) continue;
    const auto entry = names->second.find(f.field_number);
    if (entry != names->second.end() && !entry->second.second.empty())
      count += count_fields(bytes, f.value_offset, f.value_offset + f.value_size, entry->second.second);
  }
  return count;
}

// Keys a protobuf reader reads to reach `weight`'s raw_data, skipping every other message by its length.
inline std::int64_t keys_to_weight(const std::string& bytes, const std::string& weight) {
  std::int64_t keys = 0;
  for (const convert::WireField& f : convert::decode_wire(bytes)) {
    ++keys;
    if (f.field_number != 7) continue;  // ModelProto.graph
    for (const convert::WireField& g : convert::decode_wire(bytes, f.value_offset, f.value_offset + f.value_size)) {
      ++keys;
      if (g.field_number != 5) continue;  // GraphProto.initializer
      std::int64_t inside = 0;
      bool found = false;
      for (const convert::WireField& t : convert::decode_wire(bytes, g.value_offset, g.value_offset + g.value_size)) {
        ++inside;
        if (t.field_number == 8)  // TensorProto.name
          found = bytes.substr(static_cast<std::size_t>(t.value_offset), static_cast<std::size_t>(t.value_size)) == weight;
        if (t.field_number == 9 && found) return keys + inside;  // TensorProto.raw_data
      }
      keys += inside;
    }
  }
  throw Error("lesson 16-model-conversion", "an initializer named " + weight, "none");
}

}  // namespace gb::lessons::wire_reading
