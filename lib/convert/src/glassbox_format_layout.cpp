// glassbox_format_layout.cpp: flatbuffer_layout (glassbox_format.hpp), the offset table of lesson 16:
// where every table, vtable, vector and string of a verified glassbox buffer lies.
//
// The sizes come from the format itself:
//   header  4 bytes of root offset + 4 bytes of file identifier ("GBOX")
//   table   starts with a signed 32-bit offset back to its vtable (vtable = table - that offset); the
//           vtable's second 16-bit number is the table's size in bytes (the soffset and inline fields)
//   vtable  its first 16-bit number is its own size; identical vtables are shared by several tables
//   vector  a 32-bit count, then count elements (4-byte offsets for a vector of tables)
//   string  a 32-bit length, the bytes, and a terminating 0
// The builder writes back to front, so the root table sits near the start and the first things written
// (the innermost data) at the end; the gaps between regions are alignment padding (zeros).
#include <algorithm>
#include <set>

#include "gb/convert/glassbox_format.hpp"
#include "glassbox_generated.h"

namespace gb::convert {

namespace {

class Layout {
 public:
  Layout(const std::uint8_t* base, std::int64_t size) : base_(base), size_(size) {}

  // The verifier checks where a table starts, not the inline size its vtable claims: a region is
  // clipped to the buffer, so a crafted vtable cannot make the table reach past the end.
  void add(const void* at, std::int64_t size, const std::string& what) {
    const std::int64_t offset = static_cast<const std::uint8_t*>(at) - base_;
    if (seen_.insert(offset).second) regions_.push_back({offset, std::min(size, size_ - offset), what});
  }
  void table(const void* t, const std::string& what) {
    const auto* start = static_cast<const std::uint8_t*>(t);
    const std::uint8_t* vtable = start - flatbuffers::ReadScalar<flatbuffers::soffset_t>(start);
    // The verifier checked the vtable's own size; the table size after it exists only when that is >= 4.
    const flatbuffers::voffset_t vtable_size = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable);
    const std::int64_t table_size =
        vtable_size >= 2 * sizeof(flatbuffers::voffset_t)
            ? flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable + sizeof(flatbuffers::voffset_t))
            : static_cast<std::int64_t>(sizeof(flatbuffers::soffset_t));
    add(start, table_size, what);
    add(vtable, vtable_size, "vtable of " + what);
  }
  template <class T> void vector(const flatbuffers::Vector<T>* v, const std::string& what) {
    if (v == nullptr) return;
    const auto element = static_cast<std::int64_t>(sizeof(T));  // an Offset<Table> is 4 bytes
    add(v, static_cast<std::int64_t>(sizeof(flatbuffers::uoffset_t)) + element * v->size(),
        what + " (" + std::to_string(v->size()) + (v->size() == 1 ? " element)" : " elements)"));
  }
  void string(const flatbuffers::String* s, const std::string& what) {
    if (s == nullptr) return;
    add(s, static_cast<std::int64_t>(sizeof(flatbuffers::uoffset_t) + s->size() + 1), what + " \"" + shorten(s->str()) + "\"");
  }

  void tensor(const fb::Tensor& t, const std::string& what) {
    table(&t, what);
    string(t.name(), what + " name");
    vector(t.shape(), what + " shape");
    vector(t.data(), what + " data");
  }

  void param(const fb::Param& p, const std::string& what) {
    table(&p, what);
    string(p.key(), what + " key");
    // The verifier skips a union value of an unknown type (NONE or newer than this schema): not walked.
    if (p.value() == nullptr || p.value_type() == fb::ParamValue::NONE || p.value_type() > fb::ParamValue::MAX) return;
    const std::string value = what + " value " + fb::EnumNameParamValue(p.value_type());
    table(p.value(), value);
    if (const auto* ints = p.value_as_IntsValue()) vector(ints->values(), value + " values");
    if (const auto* text = p.value_as_StringValue()) string(text->value(), value + " text");
  }

  void op(const fb::Op& o, const std::string& what) {
    table(&o, what);
    vector(o.input_indexes(), what + " input_indexes");
    vector(o.output_indexes(), what + " output_indexes");
    string(o.type(), what + " type");
    string(o.name(), what + " name");
    string(o.group(), what + " group");
    vector(o.params(), what + " params");
    for (flatbuffers::uoffset_t i = 0; o.params() != nullptr && i < o.params()->size(); ++i) {
      param(*o.params()->Get(i), what + " param " + std::to_string(i));
    }
  }

  // The fields Net and SubGraph share; `what` is "Net" or "SubGraph 2".
  template <class G> void graph(const G& g, const std::string& what) {
    table(&g, what == "Net" ? "root table Net" : what);
    string(g.name(), what + " name");
    vector(g.input_indexes(), what + " input_indexes");
    vector(g.output_indexes(), what + " output_indexes");
    vector(g.tensors(), what + " tensors");
    for (flatbuffers::uoffset_t i = 0; g.tensors() != nullptr && i < g.tensors()->size(); ++i) {
      const fb::Tensor& t = *g.tensors()->Get(i);
      const std::string name = t.name() == nullptr ? "" : " '" + shorten(t.name()->str()) + "'";
      tensor(t, prefix(what) + "Tensor " + std::to_string(i) + name);
    }
    vector(g.oplists(), what + " oplists");
    for (flatbuffers::uoffset_t i = 0; g.oplists() != nullptr && i < g.oplists()->size(); ++i) {
      const fb::Op& o = *g.oplists()->Get(i);
      op(o, prefix(what) + "Op " + std::to_string(i) + " " + (o.type() == nullptr ? "?" : o.type()->str()));
    }
  }

  std::vector<FlatBufferRegion> sorted() {
    std::sort(regions_.begin(), regions_.end(),
              [](const FlatBufferRegion& a, const FlatBufferRegion& b) { return a.offset < b.offset; });
    return regions_;
  }

 private:
  static std::string prefix(const std::string& what) { return what == "Net" ? "" : what + " "; }
  static std::string shorten(const std::string& s) { return s.size() <= 32 ? s : s.substr(0, 29) + "..."; }

  const std::uint8_t* base_;
  std::int64_t size_;
  std::set<std::int64_t> seen_;  // a shared vtable is listed once, under its first user
  std::vector<FlatBufferRegion> regions_;
};

}  // namespace

std::vector<FlatBufferRegion> flatbuffer_layout(const std::string& bytes) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  // Walking offsets is only safe in a verified buffer (the identifier is checked by the verifier too).
  // Alignment is relative to the buffer's start, so a std::string's storage is fine for reading here.
  if (bytes.size() < 8 || !fb::VerifyNetBuffer(verifier)) {
    throw Error("flatbuffer_layout", "a glassbox buffer the FlatBuffers verifier accepts (identifier 'GBOX')",
                "a buffer it rejects (" + std::to_string(bytes.size()) + " bytes)");
  }
  Layout layout(data, static_cast<std::int64_t>(bytes.size()));
  layout.add(data, 8, "header: root offset and file identifier 'GBOX'");
  const fb::Net& net = *fb::GetNet(data);
  layout.graph(net, "Net");
  layout.vector(net.subgraphs(), "Net subgraphs");
  for (flatbuffers::uoffset_t i = 0; net.subgraphs() != nullptr && i < net.subgraphs()->size(); ++i) {
    layout.graph(*net.subgraphs()->Get(i), "SubGraph " + std::to_string(i));
  }
  return layout.sorted();
}

}  // namespace gb::convert
