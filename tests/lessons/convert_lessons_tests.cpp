// convert_lessons_tests.cpp: lesson 16 (model conversion), checked on what its recording holds after the
// last step, independently of the scenario's own checks: the decoded field table against the key bytes
// (recomputed here) and against the hex dump's lines (a different function of the library); the
// FlatBuffers bytes rebuilt from the hex scene, the offset table inside them, every read of the walk
// re-read from those bytes, and the buffer loaded again; the converter trace against the IR graph.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include "gb/convert/glassbox_format.hpp"
#include "gb/core.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

Scene final_scene(const Recording& r, const std::string& id) {
  const gb::trace::State state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw std::runtime_error("no scene " + id);
  return s->scene;
}

// protobuf's base-128 varint, written here from the encoding guide.
std::string varint_hex(std::uint64_t v) {
  std::string out;
  char buf[4];
  do {
    const unsigned byte = static_cast<unsigned>(v & 0x7f) | (v >= 0x80 ? 0x80u : 0u);
    std::snprintf(buf, sizeof buf, "%02x", byte);
    out += (out.empty() ? "" : " ") + std::string(buf);
    v >>= 7;
  } while (v != 0);
  return out;
}

std::string offset_head(std::int64_t offset) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%06llx", static_cast<unsigned long long>(offset));
  return buf;
}

// The bytes of a "flatbuffer_hex" text scene: "000010  xx xx ... xx | notes", 16 bytes a line.
std::string bytes_of_hex_lines(const std::vector<std::string>& lines) {
  std::string bytes;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, 6), offset_head(static_cast<std::int64_t>(i) * 16)) << lines[i];
    std::istringstream in(lines[i].substr(8, 16 * 3));
    for (std::string word; in >> word;) bytes += static_cast<char>(std::stoi(word, nullptr, 16));
  }
  return bytes;
}

std::int64_t read_le(const std::string& b, std::int64_t at, int size, bool is_signed = false) {
  EXPECT_LE(at + size, static_cast<std::int64_t>(b.size()));
  std::uint64_t v = 0;
  for (int k = 0; k < size; ++k) {
    v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(b[static_cast<std::size_t>(at + k)])) << (8 * k);
  }
  if (is_signed && size == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

TEST(Lesson16, TheFieldTableIsTheKeyBytesAndTheHexDumpAgrees) {
  const Recording r = gb::lessons::run("16-model-conversion");
  const auto fields = final_scene(r, "fields").table;
  const auto dump = final_scene(r, "protobuf_hex").text.lines;
  ASSERT_GE(fields.rows.size(), 4u + 1 + 7 + 3);  // ModelProto, its graph's first node, the node, its attribute
  // ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8), as written.
  std::vector<std::string> model_fields;
  for (const auto& row : fields.rows)
    if (row[0] == "ModelProto") model_fields.push_back(row[3]);
  EXPECT_EQ(model_fields, (std::vector<std::string>{"1", "2", "7", "8"}));
  EXPECT_EQ(fields.rows[0][5], "8");  // ir_version
  EXPECT_EQ(fields.rows[2][2], "3a");  // graph: (7 << 3) | 2 = 58 = 0x3a
  for (const auto& row : fields.rows) {
    // columns: message, offset, key bytes, field, wire type, length / value, name
    const std::uint64_t number = std::stoull(row[3]), wire = std::stoull(row[4].substr(0, 1));
    EXPECT_EQ(row[2], varint_hex((number << 3) | wire)) << row[0] << "." << row[6];
    // The hex dump's line at this offset starts with the same key and names the same field.
    const std::string head = offset_head(std::stoll(row[1]));
    bool found = false;
    for (const auto& line : dump) {
      if (line.rfind(head, 0) != 0) continue;
      found = true;
      EXPECT_EQ(line.substr(8, row[2].size()), row[2]) << line;
      EXPECT_NE(line.find("field " + row[3] + " (" + row[6] + ")"), std::string::npos) << line;
    }
    EXPECT_TRUE(found) << "no dump line at offset " << row[1];
  }
  // The graph field's line: key 3a, then its length.
  bool graph_line = false;
  for (const auto& line : dump) {
    graph_line = graph_line || (line.substr(8, 3) == "3a " && line.find("field 7 (graph)") != std::string::npos);
  }
  EXPECT_TRUE(graph_line);
  // AttributeProto.type is field 20: a key of two bytes, (20 << 3) | 0 = 160 = a0 01, and INT = 2.
  const auto& last = fields.rows.back();
  EXPECT_EQ(last[0], "AttributeProto");
  EXPECT_EQ(last[2], "a0 01");
  EXPECT_EQ(last[5], "2");
  // Inside one message the fields follow each other: each offset is past the previous key.
  for (std::size_t i = 1; i < fields.rows.size(); ++i) {
    if (fields.rows[i][0] != fields.rows[i - 1][0]) continue;
    EXPECT_GT(std::stoll(fields.rows[i][1]), std::stoll(fields.rows[i - 1][1]));
  }
}

TEST(Lesson16, TheOffsetTableAndTheWalkAgreeWithTheBytes) {
  const Recording r = gb::lessons::run("16-model-conversion");
  const std::string bytes = bytes_of_hex_lines(final_scene(r, "flatbuffer_hex").text.lines);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(4, 4), "GBOX");
  const auto regions = final_scene(r, "flatbuffer").table;
  ASSERT_FALSE(regions.rows.empty());
  std::int64_t end = 0, root = -1;
  for (const auto& row : regions.rows) {  // offset, size, kind, what
    const std::int64_t offset = std::stoll(row[0]), size = std::stoll(row[1]);
    EXPECT_GE(offset, end) << "overlaps the region before: " << row[3];
    EXPECT_LE(offset + size, static_cast<std::int64_t>(bytes.size())) << row[3];
    end = offset + size;
    if (row[3] == "root table Net") root = offset;
    if (row[2] == "string") {  // a uint32 length, the bytes, a 0
      const std::int64_t length = read_le(bytes, offset, 4);
      EXPECT_EQ(size, 4 + length + 1) << row[3];
      EXPECT_EQ(bytes[static_cast<std::size_t>(offset + 4 + length)], 0) << row[3];
      EXPECT_NE(row[3].find("\"" + bytes.substr(static_cast<std::size_t>(offset + 4), static_cast<std::size_t>(length))),
                std::string::npos) << row[3];
    }
  }
  EXPECT_EQ(read_le(bytes, 0, 4), root) << "the root offset";
  // Every read of the walk, read again here.
  const auto walk = final_scene(r, "walk").table;
  ASSERT_EQ(walk.rows.size(), 8u);
  for (const auto& row : walk.rows) {  // read, at, value, gives
    const std::int64_t at = std::stoll(row[1]);
    const bool slot = row[0].rfind("the vtable entry", 0) == 0, soffset = row[0].find("(int32)") != std::string::npos;
    EXPECT_EQ(read_le(bytes, at, slot ? 2 : 4, soffset), std::stoll(row[2])) << row[0];
  }
  // The walk ends at dense_1.weight's floats: the loaded graph's constant holds the same bytes.
  const std::string& gives = walk.rows.back()[3];
  const std::int64_t data = std::stoll(gives.substr(gives.rfind(' ') + 1));
  const gb::graph::Graph g = gb::convert::load_glassbox(bytes);
  const gb::Tensor* weight = nullptr;
  for (const auto& v : g.values())
    if (v.name == "dense_1.weight") weight = &g.node(v.producer).attr_tensor("value");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->shape(), (gb::Shape{3, 4}));  // hidden 3, in 4: the Keras kernel [4, 3] transposed
  EXPECT_EQ(std::memcmp(weight->raw_data(), bytes.data() + data, 12 * 4), 0);
  // The size table says what the bytes say.
  const auto formats = final_scene(r, "formats").table;
  ASSERT_EQ(formats.rows.size(), 2u);
  EXPECT_EQ(formats.rows[1][1], std::to_string(bytes.size()));
  EXPECT_EQ(formats.rows[1][2], std::to_string((4 * 3 + 3 + 3 * 2 + 2) * 4));  // the MLP's 23 floats
  EXPECT_EQ(formats.rows[1][6], "in place at byte " + std::to_string(data));
  // Offsets reach any tensor in as many reads; protobuf's keys grow with what comes before it in the file.
  EXPECT_EQ(formats.rows[1][4], std::to_string(walk.rows.size()) + " reads at offsets");
  EXPECT_EQ(formats.rows[1][5], formats.rows[1][4]);
  EXPECT_LT(std::stoi(formats.rows[0][4]), std::stoi(formats.rows[0][5]));
}

TEST(Lesson16, TheConverterTraceNamesTheIrNodesAndTheRoutesAgree) {
  const Recording r = gb::lessons::run("16-model-conversion", {{"in", "5"}, {"hidden", "2"}, {"out", "3"}});
  const auto trace = final_scene(r, "converter").table;
  ASSERT_EQ(trace.rows.size(), 3u);  // Input, dense_1, dense_2
  EXPECT_NE(trace.rows[1][4].find("[5, 2] -> weight [2, 5]"), std::string::npos) << trace.rows[1][4];
  EXPECT_NE(trace.rows[2][4].find("[2, 3] -> weight [3, 2]"), std::string::npos) << trace.rows[2][4];
  EXPECT_EQ(trace.rows[1][2], "Gemm(transB=1) + Relu");
  EXPECT_EQ(trace.rows[2][2], "Gemm(transB=1)");
  const auto ir = final_scene(r, "ir").graph;
  int gemm = 0, relu = 0;
  for (const auto& n : ir.nodes) {
    gemm += n.op == "Gemm";
    relu += n.op == "Relu";
    // Every IR node named in the trace is a node of the graph scene, with that op.
    for (const auto& row : trace.rows) {
      if (row[3].find(n.id + " ") != std::string::npos) {
        EXPECT_NE(row[3].find(n.id + " " + n.op), std::string::npos) << row[3];
      }
    }
  }
  EXPECT_EQ(gemm, 2);
  EXPECT_EQ(relu, 1);
  // Keras, PyTorch (direct) and glassbox (via ONNX) agree; the untransposed kernel does not.
  const auto outputs = final_scene(r, "outputs").table;
  ASSERT_EQ(outputs.rows.size(), 2u * 3u);  // batch 2, out 3
  double bug = 0;
  for (const auto& row : outputs.rows) {
    const double keras = std::stod(row[1]);
    EXPECT_EQ(row[2], row[1]);
    EXPECT_NEAR(std::stod(row[3]), keras, 1e-5 + 1e-5 * std::fabs(keras));
    bug = std::max(bug, std::fabs(std::stod(row[4]) - keras));
  }
  EXPECT_GT(bug, 1e-3);
}

}  // namespace
