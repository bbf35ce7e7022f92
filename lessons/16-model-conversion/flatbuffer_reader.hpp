// flatbuffer_reader.hpp: lesson 16's FlatBuffers reader, by hand: the four reads that are all a reader of
// a FlatBuffers buffer ever does, so that the lesson can follow offsets from the root to a weight without
// flatc's generated code (the library's load_glassbox uses that; this is its independent check).
//
//   root      the buffer starts with a uint32 offset to the root table (then 4 bytes of file identifier)
//   table     starts with an int32 soffset: its vtable lies at table - soffset
//   vtable    uint16s: [vtable size, table size, offset of field 0, offset of field 1, ...]; an offset
//             of 0, or a field past the vtable's end, means "absent, use the default"
//   reference a uint32 stored in a table or vector, relative to where it is stored: target = at + value
//   vector    a uint32 count, then the elements; a string is a vector of bytes with a trailing 0
// All little-endian. Every read is bounds-checked (gb::Error), so a bad buffer cannot crash the lesson.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/error.hpp"

namespace gb::lessons::flatbuffer_reader {

inline std::uint64_t little_endian(const std::string& bytes, std::int64_t at, int size) {
  if (at < 0 || at + size > static_cast<std::int64_t>(bytes.size())) {
    throw Error("lesson 16 flatbuffer reader", "a read inside the " + std::to_string(bytes.size()) + "-byte buffer",
                std::to_string(size) + " bytes at offset " + std::to_string(at));
  }
  std::uint64_t value = 0;
  for (int k = 0; k < size; ++k) {
    value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(at + k)])) << (8 * k);
  }
  return value;
}
inline std::int64_t u16(const std::string& b, std::int64_t at) { return static_cast<std::int64_t>(little_endian(b, at, 2)); }
inline std::int64_t u32(const std::string& b, std::int64_t at) { return static_cast<std::int64_t>(little_endian(b, at, 4)); }
inline std::int64_t i32(const std::string& b, std::int64_t at) {
  return static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(little_endian(b, at, 4))));
}

inline std::int64_t root_table(const std::string& b) { return u32(b, 0); }
inline std::int64_t vtable_of(const std::string& b, std::int64_t table) { return table - i32(b, table); }

// The vtable slot of field `id` (its byte offset inside the vtable), and the field's offset inside its
// table: 0 when the field is absent.
inline std::int64_t vtable_slot(int id) { return 4 + 2 * static_cast<std::int64_t>(id); }
inline std::int64_t field_offset(const std::string& b, std::int64_t table, int id) {
  const std::int64_t vtable = vtable_of(b, table);
  return vtable_slot(id) < u16(b, vtable) ? u16(b, vtable + vtable_slot(id)) : 0;
}

// A reference stored at `at` (a table's field, a vector's element): the position it points to.
inline std::int64_t follow(const std::string& b, std::int64_t at) { return at + u32(b, at); }

// The table, vector or string that field `id` of `table` refers to; -1 when the field is absent.
inline std::int64_t field_target(const std::string& b, std::int64_t table, int id) {
  const std::int64_t offset = field_offset(b, table, id);
  return offset == 0 ? -1 : follow(b, table + offset);
}

inline std::int64_t vector_size(const std::string& b, std::int64_t vector) { return u32(b, vector); }
// Element k of a vector of references (tables, strings).
inline std::int64_t vector_element(const std::string& b, std::int64_t vector, std::int64_t k) {
  return follow(b, vector + 4 + 4 * k);
}
inline std::string string_at(const std::string& b, std::int64_t at) {
  const std::int64_t size = u32(b, at);
  little_endian(b, at + 4 + size, 1);  // the trailing 0 is inside the buffer, so all of it is
  return b.substr(static_cast<std::size_t>(at + 4), static_cast<std::size_t>(size));
}

// --- a glassbox Net (glassbox.fbs): Net field 3 = tensors, Tensor field 0 = name, field 4 = data ------

// One read of the walk: what was read, at which offset, the number found, and what it leads to.
struct Read {
  std::string what;
  std::int64_t at = 0, value = 0;
  std::string gives;
};

// The reads from byte 0 to the data vector of the Tensor named `name` (returned): root offset, root
// soffset, the vtable entry of Net.tensors, the reference to the vector, the vector's element, the
// Tensor's soffset, the vtable entry of Tensor.data, the reference to the data.
inline std::int64_t walk_to_data(const std::string& b, const std::string& name, std::vector<Read>& reads) {
  const std::int64_t root = root_table(b), vtable = vtable_of(b, root);
  reads.push_back({"the root offset (uint32)", 0, root, "the root table Net at " + std::to_string(root)});
  reads.push_back({"Net's soffset (int32)", root, root - vtable, "its vtable at " + std::to_string(vtable)});
  const std::int64_t tensors_offset = field_offset(b, root, 3), tensors = field_target(b, root, 3);
  reads.push_back({"the vtable entry of field 3 (tensors)", vtable + vtable_slot(3), tensors_offset,
                   "the field at " + std::to_string(root) + " + " + std::to_string(tensors_offset)});
  reads.push_back({"the tensors reference (uint32)", root + tensors_offset, tensors - root - tensors_offset,
                   "the vector of " + std::to_string(vector_size(b, tensors)) + " Tensors at " + std::to_string(tensors)});
  // Which element: the names are strings, read in place too (not counted: a reader that knows the
  // index, as an op's input_indexes give it, reads none of them).
  std::int64_t index = -1;
  for (std::int64_t k = 0; k < vector_size(b, tensors); ++k) {
    if (string_at(b, field_target(b, vector_element(b, tensors, k), 0)) == name) index = k;
  }
  if (index < 0) throw Error("lesson 16 flatbuffer reader", "a Tensor named " + name, "none");
  const std::int64_t tensor = vector_element(b, tensors, index), tensor_vtable = vtable_of(b, tensor);
  reads.push_back({"tensors[" + std::to_string(index) + "] (uint32)", tensors + 4 + 4 * index, tensor - (tensors + 4 + 4 * index),
                   "the Tensor table at " + std::to_string(tensor)});
  reads.push_back({"the Tensor's soffset (int32)", tensor, tensor - tensor_vtable, "its vtable at " + std::to_string(tensor_vtable)});
  const std::int64_t data_offset = field_offset(b, tensor, 4), data = field_target(b, tensor, 4);
  if (data_offset == 0) throw Error("lesson 16 flatbuffer reader", "Tensor " + name + " with data", "no data field");
  reads.push_back({"the vtable entry of field 4 (data)", tensor_vtable + vtable_slot(4), data_offset,
                   "the field at " + std::to_string(tensor) + " + " + std::to_string(data_offset)});
  reads.push_back({"the data reference (uint32)", tensor + data_offset, data - tensor - data_offset,
                   "a vector of " + std::to_string(vector_size(b, data)) + " bytes at " + std::to_string(data) + ", the floats from " +
                       std::to_string(data + 4)});
  return data;
}

}  // namespace gb::lessons::flatbuffer_reader
