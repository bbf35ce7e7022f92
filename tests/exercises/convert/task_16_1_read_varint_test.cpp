// Exercise convert.wire.read_varint (lesson 16-model-conversion): read_varint in
// lib/convert/src/wire_format.cpp, the base-128 varint under every protobuf key, length and integer.
// A varint stores an unsigned 64-bit integer 7 bits a byte, least significant group first; the high bit
// of a byte says "another byte follows". At most 10 bytes (9 * 7 = 63 bits, then bit 63 alone in the
// 10th byte); fewer bytes than the varint needs, more than 10, or a 10th byte above 1 are gb::Error.
// The tests go through decode_wire (the public entry point): a key (itself a varint) and a value.
// Oracles: the examples of protobuf's encoding guide (150 = 96 01, 300 = ac 02), and protobuf's own
// CodedOutputStream / CodedInputStream (libprotobuf), which wrote and read every ONNX file there is.
//
// Run only this exercise:  convert_exercise_tests --gtest_filter='Task_16_1_ReadVarint.*'
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../core/exercise_checks.hpp"
#include "gb/convert/wire_format.hpp"

namespace {

using gb::convert::decode_wire;
using gb::convert::WireField;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out += static_cast<char>(v);
  return out;
}

// protobuf's encoding of (key, value) for a varint field: what every .onnx file holds.
std::string protobuf_varint_field(std::uint32_t field, std::uint64_t value) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    coded.WriteTag(field << 3);  // wire type 0
    coded.WriteVarint64(value);
  }  // the CodedOutputStream flushes into `out` here
  return out;
}

WireField only_field(const std::string& message) {
  const std::vector<WireField> fields = decode_wire(message);
  EXPECT_EQ(fields.size(), 1u);
  return fields.empty() ? WireField{} : fields[0];
}

// protobuf's encoding guide: "150 is encoded as 96 01", and field 1 = 150 is 08 96 01.
TEST(Task_16_1_ReadVarint, TheGuidesExamples) {
  const WireField f150 = only_field(bytes({0x08, 0x96, 0x01}));
  EXPECT_EQ(f150.field_number, 1);
  EXPECT_EQ(f150.wire_type, 0);
  EXPECT_EQ(f150.varint, 150u);
  EXPECT_EQ(f150.key_size, 1);
  EXPECT_EQ(f150.value_offset, 1);
  EXPECT_EQ(f150.value_size, 2);
  // 300 = 0b10_0101100: 0101100 with the "more" bit is 0xac, then 0b10 = 0x02.
  EXPECT_EQ(only_field(bytes({0x08, 0xac, 0x02})).varint, 300u);
  EXPECT_EQ(only_field(bytes({0x08, 0x00})).varint, 0u);
  EXPECT_EQ(only_field(bytes({0x08, 0x7f})).varint, 127u);
  EXPECT_EQ(only_field(bytes({0x08, 0x80, 0x01})).varint, 128u);
}

// Every boundary of a byte count (2^7k - 1 and 2^7k) and random values, as protobuf writes them.
TEST(Task_16_1_ReadVarint, EqualsProtobufsCodedOutputStream) {
  std::vector<std::uint64_t> values = {0, 1, std::numeric_limits<std::uint64_t>::max(), std::uint64_t{1} << 63,
                                       std::numeric_limits<std::uint32_t>::max()};
  for (int k = 1; k <= 9; ++k) {
    values.push_back((std::uint64_t{1} << (7 * k)) - 1);
    values.push_back(std::uint64_t{1} << (7 * k));
  }
  std::mt19937_64 rng(16);
  for (int i = 0; i < 200; ++i) values.push_back(rng() >> (rng() % 64));
  for (const std::uint64_t v : values) {
    const std::string message = protobuf_varint_field(3, v);
    const WireField f = only_field(message);
    EXPECT_EQ(f.field_number, 3) << v;
    EXPECT_EQ(f.varint, v);
    EXPECT_EQ(f.value_size, static_cast<std::int64_t>(CodedOutputStream::VarintSize64(v))) << v;
  }
}

// The largest value takes all 10 bytes: nine ff, then 01 (bit 63).
TEST(Task_16_1_ReadVarint, MaxUint64TakesTenBytes) {
  std::string message = bytes({0x08});
  message += std::string(9, static_cast<char>(0xff)) + bytes({0x01});
  const WireField f = only_field(message);
  EXPECT_EQ(f.varint, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(f.value_size, 10);
  EXPECT_EQ(message, protobuf_varint_field(1, f.varint));
}

// Keys are varints too: field 20 (AttributeProto.type in onnx.proto) needs two bytes, a0 01, and the
// largest field number 2^29 - 1 needs five.
TEST(Task_16_1_ReadVarint, KeysAndLengthsAreVarints) {
  const WireField f20 = only_field(bytes({0xa0, 0x01, 0x02}));
  EXPECT_EQ(f20.field_number, 20);
  EXPECT_EQ(f20.key_size, 2);
  EXPECT_EQ(f20.varint, 2u);
  const std::uint32_t largest = (1u << 29) - 1;
  const WireField fmax = only_field(protobuf_varint_field(largest, 7));
  EXPECT_EQ(fmax.field_number, static_cast<std::int64_t>(largest));
  EXPECT_EQ(fmax.key_size, 5);
  // A length of 300 (ac 02) before 300 bytes of a string field.
  const std::string message = bytes({0x12, 0xac, 0x02}) + std::string(300, 'x');
  const WireField s = only_field(message);
  EXPECT_EQ(s.wire_type, 2);
  EXPECT_EQ(s.value_offset, 3);
  EXPECT_EQ(s.value_size, 300);
}

// protobuf's reader accepts redundant continuation bytes (80 00 is 0 in two bytes); so must ours.
TEST(Task_16_1_ReadVarint, NonMinimalEncodingsReadLikeProtobuf) {
  for (const std::string& value : {bytes({0x80, 0x00}), bytes({0xff, 0x80, 0x80, 0x00}), bytes({0x96, 0x81, 0x00})}) {
    std::uint64_t expected = 0;
    CodedInputStream in(reinterpret_cast<const std::uint8_t*>(value.data()), static_cast<int>(value.size()));
    ASSERT_TRUE(in.ReadVarint64(&expected));
    const WireField f = only_field(bytes({0x08}) + value);
    EXPECT_EQ(f.varint, expected);
    EXPECT_EQ(f.value_size, static_cast<std::int64_t>(value.size()));
  }
}

// The bytes end while the "more" bit is still set: a truncated varint, in a value, a key or a length.
TEST(Task_16_1_ReadVarint, TruncatedVarintsAreErrors) {
  EXPECT_CONTAINS(gb_exercise::error_message_of([] { decode_wire(bytes({0x08, 0x96})); }), "varint");
  EXPECT_CONTAINS(gb_exercise::error_message_of([] { decode_wire(bytes({0x08})); }), "varint");
  EXPECT_CONTAINS(gb_exercise::error_message_of([] { decode_wire(bytes({0xa0})); }), "varint");
  EXPECT_CONTAINS(gb_exercise::error_message_of([] { decode_wire(bytes({0x12, 0xac})); }), "varint");
  std::string nine = bytes({0x08}) + std::string(9, static_cast<char>(0xff));
  EXPECT_CONTAINS(gb_exercise::error_message_of([&] { decode_wire(nine); }), "offset 1");
}

// More than 64 bits: an 11th byte, or a 10th byte with more than bit 63 in it.
TEST(Task_16_1_ReadVarint, OverLongVarintsAreErrors) {
  const std::string eleven = bytes({0x08}) + std::string(10, static_cast<char>(0xff)) + bytes({0x01});
  EXPECT_CONTAINS(gb_exercise::error_message_of([&] { decode_wire(eleven); }), "varint");
  const std::string too_big = bytes({0x08}) + std::string(9, static_cast<char>(0xff)) + bytes({0x02});
  EXPECT_CONTAINS(gb_exercise::error_message_of([&] { decode_wire(too_big); }), "64 bits");
  const std::string padded = bytes({0x08}) + std::string(10, static_cast<char>(0x80)) + bytes({0x00});
  EXPECT_CONTAINS(gb_exercise::error_message_of([&] { decode_wire(padded); }), "varint");
}

// The varint reader moves past exactly the bytes it read: two fields in a row decode one after the other.
TEST(Task_16_1_ReadVarint, ConsumesExactlyItsBytes) {
  const std::string message = protobuf_varint_field(1, 300) + protobuf_varint_field(2, 1ull << 40) + protobuf_varint_field(3, 5);
  const std::vector<WireField> fields = decode_wire(message);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].varint, 300u);
  EXPECT_EQ(fields[1].field_number, 2);
  EXPECT_EQ(fields[1].offset, 3);
  EXPECT_EQ(fields[1].varint, 1ull << 40);
  EXPECT_EQ(fields[2].offset, 3 + 1 + 6);
  EXPECT_EQ(fields[2].varint, 5u);
}

}  // namespace
