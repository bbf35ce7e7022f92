// wire_format.cpp: decode_wire and onnx_field_names (wire_format.hpp): protobuf's wire format read by
// hand, without the protobuf library, as lesson 16 tells it.
//
// A varint stores an unsigned integer 7 bits at a time, least significant group first; the high bit of
// each byte says "another byte follows". 300 = 0b1_0010_1100 -> 0xAC 0x02. A 64-bit value needs at most
// 10 bytes (9 * 7 = 63 bits, then 1 bit in the 10th byte).
// A field's key is the varint (field_number << 3) | wire_type; the wire type says how long the value is:
//   0 varint   int32, int64, uint64, bool, enum (negative int32/int64 take all 10 bytes)
//   1 64-bit   fixed64, sfixed64, double (little-endian)
//   2 length   a varint byte count, then the bytes: string, bytes, a nested message, a packed repeated field
//   5 32-bit   fixed32, sfixed32, float
//   3, 4       start / end of a group (deprecated since proto2; ONNX has none), 6 and 7 are not used.
//
// annotated_hex_dump prints every field's key (and its length or scalar value) in hex beside what it
// means, nested messages indented:
//   000000  08 08                          field 1 (ir_version) varint 8
//   000002  3a 8f 01                       field 7 (graph) length 143: GraphProto
//   000005  0a 1c                            field 1 (node) length 28: NodeProto
//   000007  0a 01                              field 1 (input) length 1 "x"
// The names come from a WireSchema (wire_format_schema.cpp for ONNX): the bytes carry only numbers. A
// field that does not decode ends its message with a "!" line naming the error, so a damaged file still
// shows everything before the damage.
#include <cstdio>
#include <cstring>
#include <sstream>
#include <tuple>

#include "gb/convert/wire_format.hpp"
#include "gb/core/error.hpp"

namespace gb::convert {

namespace {

const char* const kOp = "decode_wire";

// Reads the varint at bytes[at, end); advances `at` past it.
std::uint64_t read_varint(const std::string& bytes, std::int64_t& at, std::int64_t end, const std::string& what) {
  // BEGIN EXERCISE(convert.wire.read_varint)
  const std::int64_t start = at;
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= end) {
      throw Error(kOp, "a complete varint (" + what + ")", "the end of the bytes at offset " + std::to_string(start));
    }
    const auto byte = static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(at++)]);
    // The 10th byte may only hold bit 63: anything more does not fit in 64 bits.
    if (shift == 63 && byte > 1) {
      throw Error(kOp, "a varint that fits in 64 bits (" + what + ")", "more at offset " + std::to_string(start));
    }
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw Error(kOp, "a varint of at most 10 bytes (" + what + ")", "a longer one at offset " + std::to_string(start));
  // END EXERCISE
}

std::uint64_t read_fixed(const std::string& bytes, std::int64_t at, int size) {
  std::uint64_t value = 0;  // little-endian: byte k holds bits 8k .. 8k+7
  for (int k = 0; k < size; ++k) {
    value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(at + k)])) << (8 * k);
  }
  return value;
}

// Reads the field whose key starts at `at` (before `end`); advances `at` past its value.
WireField read_field(const std::string& bytes, std::int64_t& at, std::int64_t end) {
  WireField field;
  field.offset = at;
  const std::uint64_t key = read_varint(bytes, at, end, "a field key");
  field.key_size = at - field.offset;
  field.field_number = static_cast<std::int64_t>(key >> 3);
  field.wire_type = static_cast<int>(key & 7);
  const std::string here = " at offset " + std::to_string(field.offset);
  // Field numbers run from 1 to 2^29 - 1 (the key must fit in 32 bits).
  if (field.field_number < 1 || field.field_number > (std::int64_t{1} << 29) - 1) {
    throw Error(kOp, "a field number in [1, 2^29 - 1]", std::to_string(field.field_number) + here);
  }
  std::int64_t fixed = 0;
  switch (field.wire_type) {
    case 0:
      field.value_offset = at;
      field.varint = read_varint(bytes, at, end, "the value of field " + std::to_string(field.field_number));
      field.value_size = at - field.value_offset;
      return field;
    case 1: fixed = 8; break;
    case 5: fixed = 4; break;
    case 2: {
      const std::uint64_t length = read_varint(bytes, at, end, "the length of field " + std::to_string(field.field_number));
      if (length > static_cast<std::uint64_t>(end - at)) {
        throw Error(kOp, "a length within the " + std::to_string(end - at) + " bytes left",
                    "length " + std::to_string(length) + " of field " + std::to_string(field.field_number) + here);
      }
      field.value_offset = at;
      field.value_size = static_cast<std::int64_t>(length);
      at += field.value_size;
      return field;
    }
    default:
      throw Error(kOp, "wire type 0, 1, 2 or 5",
                  "wire type " + std::to_string(field.wire_type) +
                      (field.wire_type == 3 || field.wire_type == 4 ? " (a group)" : "") + here);
  }
  if (end - at < fixed) {
    throw Error(kOp, std::to_string(fixed) + " bytes of field " + std::to_string(field.field_number),
                std::to_string(end - at) + " bytes left" + here);
  }
  field.value_offset = at;
  field.value_size = fixed;
  field.varint = read_fixed(bytes, at, static_cast<int>(fixed));
  at += fixed;
  return field;
}

constexpr int kMaxDepth = 32;           // nested messages shown; deeper ones are shown as bytes
constexpr std::int64_t kMaxText = 48;   // longer strings are shortened
constexpr std::size_t kHexColumn = 30;  // width of the hex column

std::string hex(const std::string& bytes, std::int64_t begin, std::int64_t end) {
  std::string out;
  char buf[4];
  for (std::int64_t i = begin; i < end; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)])));
    out += (out.empty() ? "" : " ") + std::string(buf);
  }
  return out;
}

bool printable(const std::string& bytes, std::int64_t begin, std::int64_t size) {
  for (std::int64_t i = begin; i < begin + size; ++i) {
    const auto c = static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

class Dump {
 public:
  Dump(const std::string& bytes, const WireSchema& schema, std::int64_t max_lines)
      : bytes_(bytes), schema_(schema), max_lines_(max_lines) {}

  // Appends the fields of bytes[begin, end) as message `type` (empty: no names); false once out of lines.
  bool message(std::int64_t begin, std::int64_t end, const std::string& type, int depth) {
    const auto names = schema_.find(type);
    for (std::int64_t at = begin; at < end;) {
      WireField f;
      try {
        f = read_field(bytes_, at, end);
      } catch (const NotImplemented&) {
        throw;  // the student kit's read_varint: not a damaged message
      } catch (const Error& e) {
        return line(-1, "", depth, std::string("! ") + e.what());  // the rest of this message is damaged
      }
      std::string name, nested;
      if (names != schema_.end()) {
        const auto entry = names->second.find(f.field_number);
        if (entry != names->second.end()) std::tie(name, nested) = entry->second;
      }
      if (depth + 1 >= kMaxDepth) nested.clear();
      // The hex column: the key, then the scalar value or the length varint.
      const std::int64_t shown_end = f.wire_type == 2 ? f.value_offset : f.value_offset + f.value_size;
      const std::string text = "field " + std::to_string(f.field_number) + (name.empty() ? "" : " (" + name + ")") +
                               " " + describe(f, nested);
      if (!line(f.offset, hex(bytes_, f.offset, shown_end), depth, text)) return false;
      if (f.wire_type == 2 && !nested.empty() && !message(f.value_offset, at, nested, depth + 1)) return false;
    }
    return true;
  }

  // The lines, the last one replaced by "..." when there were more than max_lines.
  std::string str() const {
    std::string out;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      const bool cut = lines_.size() > static_cast<std::size_t>(max_lines_) && i + 1 == static_cast<std::size_t>(max_lines_);
      out += (cut ? "... (more fields not shown: max_lines " + std::to_string(max_lines_) + ")" : lines_[i]) + "\n";
      if (cut) break;
    }
    return out;
  }

 private:
  std::string describe(const WireField& f, const std::string& nested) const {
    std::ostringstream text;
    switch (f.wire_type) {
      case 0:
        text << "varint " << f.varint;
        if (f.varint >> 63) text << " (" << static_cast<std::int64_t>(f.varint) << " as int64)";
        break;
      case 1: {
        double d = 0;
        std::memcpy(&d, &f.varint, sizeof d);
        text << "64-bit " << hex(bytes_, f.value_offset, f.value_offset + 8) << " (double " << d << ")";
        break;
      }
      case 5: {
        float x = 0;
        const auto bits = static_cast<std::uint32_t>(f.varint);
        std::memcpy(&x, &bits, sizeof x);
        text << "32-bit " << hex(bytes_, f.value_offset, f.value_offset + 4) << " (float " << x << ")";
        break;
      }
      default: {
        text << "length " << f.value_size;
        if (!nested.empty()) {
          text << ": " << nested;
        } else if (printable(bytes_, f.value_offset, f.value_size)) {
          const std::int64_t shown = f.value_size <= kMaxText ? f.value_size : kMaxText - 3;
          text << " \"" << bytes_.substr(static_cast<std::size_t>(f.value_offset), static_cast<std::size_t>(shown))
               << (shown < f.value_size ? "...\"" : "\"");
        } else if (f.value_size > 0) {
          const std::int64_t shown = f.value_size <= 8 ? f.value_size : 8;
          text << " bytes " << hex(bytes_, f.value_offset, f.value_offset + shown) << (shown < f.value_size ? " ..." : "");
        }
      }
    }
    return text.str();
  }

  // One line: offset, hex column, indented text. Stops (false) one line past max_lines.
  bool line(std::int64_t offset, const std::string& hex_column, int depth, const std::string& text) {
    if (lines_.size() > static_cast<std::size_t>(max_lines_)) return false;
    char head[24] = "      ";
    if (offset >= 0) std::snprintf(head, sizeof head, "%06llx", static_cast<unsigned long long>(offset));
    const std::size_t pad = hex_column.size() < kHexColumn ? kHexColumn - hex_column.size() : 1;
    lines_.push_back(std::string(head) + "  " + hex_column + std::string(pad, ' ') +
                     std::string(static_cast<std::size_t>(2 * depth), ' ') + text);
    return lines_.size() <= static_cast<std::size_t>(max_lines_);
  }

  const std::string& bytes_;
  const WireSchema& schema_;
  std::int64_t max_lines_;
  std::vector<std::string> lines_;
};

}  // namespace

std::vector<WireField> decode_wire(const std::string& bytes, std::int64_t begin, std::int64_t end) {
  if (end == -1) end = static_cast<std::int64_t>(bytes.size());
  if (begin < 0 || begin > end || end > static_cast<std::int64_t>(bytes.size())) {
    throw Error(kOp, "0 <= begin <= end <= " + std::to_string(bytes.size()),
                "begin " + std::to_string(begin) + ", end " + std::to_string(end));
  }
  std::vector<WireField> fields;
  for (std::int64_t at = begin; at < end;) fields.push_back(read_field(bytes, at, end));
  return fields;
}

std::string annotated_hex_dump(const std::string& bytes, const std::string& root, const WireSchema& schema,
                               std::int64_t max_lines) {
  if (max_lines < 1) throw Error("annotated_hex_dump", "max_lines >= 1", std::to_string(max_lines));
  Dump dump(bytes, schema, max_lines);
  dump.message(0, static_cast<std::int64_t>(bytes.size()), root, 0);
  return dump.str();
}

}  // namespace gb::convert
