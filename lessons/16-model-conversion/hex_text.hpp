// hex_text.hpp: lesson 16's text helpers: numbers, hex bytes and offsets as the hex dumps show them, and
// the FlatBuffers buffer as annotated hex lines (each line naming the regions that start on it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "gb/convert/glassbox_format.hpp"
#include "gb/core/error.hpp"

namespace gb::lessons::hex_text {

inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
inline std::string hex(const std::string& bytes, std::int64_t begin, std::int64_t end) {
  std::string out;
  for (std::int64_t i = begin; i < end; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)])));
    out += (i == begin ? "" : " ") + std::string(buf);
  }
  return out;
}
inline std::string offset_text(std::int64_t offset) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%06llx", static_cast<unsigned long long>(offset));
  return buf;
}
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string wire_type_name(int t) {
  switch (t) {
    case 0: return "0 varint";
    case 1: return "1 64-bit";
    case 2: return "2 length";
    default: return "5 32-bit";
  }
}

inline std::string region_kind(const std::string& what) {
  if (what.rfind("header", 0) == 0) return "header";
  if (what.rfind("vtable of", 0) == 0) return "vtable";
  if (what.find(" element)") != std::string::npos || what.find(" elements)") != std::string::npos) return "vector";
  if (!what.empty() && what.back() == '"') return "string";
  return "table";
}

// The buffer as hex, 16 bytes a line, each line naming the regions that start on it.
inline std::vector<std::string> hex_lines(const std::string& bytes, const std::vector<convert::FlatBufferRegion>& regions) {
  std::vector<std::string> lines;
  const auto size = static_cast<std::int64_t>(bytes.size());
  for (std::int64_t at = 0; at < size; at += 16) {
    std::string line = offset_text(at) + "  " + hex(bytes, at, std::min(at + 16, size));
    line.resize(8 + 16 * 3, ' ');
    std::string starts;
    for (const auto& r : regions)
      if (r.offset >= at && r.offset < at + 16) starts += (starts.empty() ? "" : "; ") + ("+" + std::to_string(r.offset - at) + " " + r.what);
    lines.push_back(line + (starts.empty() ? "" : "| " + starts));
  }
  return lines;
}

inline const convert::FlatBufferRegion& region_at(const std::vector<convert::FlatBufferRegion>& regions, std::int64_t offset) {
  for (const auto& r : regions)
    if (r.offset == offset) return r;
  throw Error("lesson 16-model-conversion", "a region of flatbuffer_layout at offset " + std::to_string(offset), "none");
}

}  // namespace gb::lessons::hex_text
