// draw_util.cpp: colors, number formatting, nice axis ticks and small drawing helpers shared by the panels.
#include "draw_util.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace gb::viewer {

ImU32 rgba(int r, int g, int b, int a) { return IM_COL32(r, g, b, a); }

ImU32 series_color(std::size_t index) {
  // Tableau 10: distinct on a dark background, the usual plotting palette.
  static constexpr ImU32 palette[] = {
      IM_COL32(78, 121, 167, 255),  IM_COL32(242, 142, 43, 255), IM_COL32(225, 87, 89, 255),
      IM_COL32(118, 183, 178, 255), IM_COL32(89, 161, 79, 255),  IM_COL32(237, 201, 72, 255),
      IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255), IM_COL32(156, 117, 95, 255),
      IM_COL32(186, 176, 172, 255)};
  return palette[index % (sizeof(palette) / sizeof(palette[0]))];
}

ImU32 category_color(std::string_view name) {
  std::size_t h = 14695981039346656037ull;  // FNV-1a: stable across runs, unlike std::hash
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return series_color(h % 10);
}

namespace {
struct SpanKind {
  const char* name;
  std::vector<const char*> words;  // any of them in the category (lowercase) picks this kind
  ImU32 color;
};
const std::vector<SpanKind>& span_kinds() {
  static const std::vector<SpanKind> kinds = {
      {"forward", {"forward", "fwd"}, IM_COL32(78, 121, 167, 255)},
      {"backward", {"backward", "bwd", "grad"}, IM_COL32(176, 122, 161, 255)},
      {"communication", {"comm", "allreduce", "all-reduce", "send", "recv", "broadcast", "gather", "scatter"},
       IM_COL32(89, 161, 79, 255)},
      {"idle / bubble", {"idle", "bubble", "wait", "stall"}, IM_COL32(95, 95, 100, 255)},
      {"optimizer", {"optim", "update", "step"}, IM_COL32(242, 142, 43, 255)},
      {"schedule", {"schedul", "plan", "dispatch"}, IM_COL32(237, 201, 72, 255)},
      {"memory", {"memory", "copy", "load", "store", "alloc"}, IM_COL32(156, 117, 95, 255)},
      {"compute", {"compute", "kernel", "matmul", "gemm", "work"}, IM_COL32(118, 183, 178, 255)},
  };
  return kinds;
}
std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

ImU32 span_kind_color(std::string_view category, std::string* name) {
  const std::string lower = lowercase(category);
  for (const SpanKind& kind : span_kinds()) {
    for (const char* word : kind.words) {
      if (lower.find(word) != std::string::npos) {
        if (name) *name = kind.name;
        return kind.color;
      }
    }
  }
  if (name) *name = std::string(category);
  return category_color(category);
}

bool is_idle_kind(std::string_view category) {
  std::string name;
  span_kind_color(category, &name);
  return name == "idle / bubble";
}

ImU32 diverging_color(double t) {
  if (!std::isfinite(t)) return IM_COL32(128, 128, 128, 255);
  t = std::clamp(t, 0.0, 1.0);
  auto mix = [](double a, double b, double u) { return static_cast<int>(a + (b - a) * u + 0.5); };
  // blue (33, 102, 172) -> white (247, 247, 247) -> red (178, 24, 43): ColorBrewer RdBu ends.
  if (t < 0.5) {
    double u = t / 0.5;
    return IM_COL32(mix(33, 247, u), mix(102, 247, u), mix(172, 247, u), 255);
  }
  double u = (t - 0.5) / 0.5;
  return IM_COL32(mix(247, 178, u), mix(247, 24, u), mix(247, 43, u), 255);
}

ImU32 text_on(ImU32 background) {
  ImVec4 c = ImGui::ColorConvertU32ToFloat4(background);
  float luminance = 0.299f * c.x + 0.587f * c.y + 0.114f * c.z;
  return luminance > 0.55f ? IM_COL32(20, 20, 20, 255) : IM_COL32(245, 245, 245, 255);
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void Range::add(double v) {
  if (!std::isfinite(v)) return;
  lo = std::min(lo, v);
  hi = std::max(hi, v);
}

Range Range::padded(double fraction) const {
  Range r = *this;
  if (r.empty()) { r.lo = 0; r.hi = 1; }
  if (r.hi - r.lo <= 0) {
    double w = std::max(std::abs(r.lo) * 0.1, 0.5);
    r.lo -= w;
    r.hi += w;
  }
  double pad = (r.hi - r.lo) * fraction;
  r.lo -= pad;
  r.hi += pad;
  return r;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1) return ticks;
  // The 1-2-5 step whose tick count comes closest to the target.
  double raw = (hi - lo) / target;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  double best = 1e300;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    double miss = std::abs((hi - lo) / (m * magnitude) - target);
    if (miss < best) { best = miss; step = m * magnitude; }
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);  // no "-0"
    if (ticks.size() > 100) break;
  }
  return ticks;
}

void dashed_line(ImDrawList* draw, ImVec2 a, ImVec2 b, ImU32 color, float dash, float thickness) {
  float dx = b.x - a.x, dy = b.y - a.y;
  float length = std::sqrt(dx * dx + dy * dy);
  if (length <= 0 || dash <= 0) return;
  for (float s = 0; s < length; s += 2 * dash) {
    float e = std::min(s + dash, length);
    draw->AddLine(ImVec2(a.x + dx * s / length, a.y + dy * s / length),
                  ImVec2(a.x + dx * e / length, a.y + dy * e / length), color, thickness);
  }
}

void arrow_head(ImDrawList* draw, ImVec2 from, ImVec2 tip, float size, ImU32 color) {
  float dx = tip.x - from.x, dy = tip.y - from.y;
  float length = std::sqrt(dx * dx + dy * dy);
  if (length <= 1e-3f) return;
  dx /= length;
  dy /= length;
  ImVec2 base(tip.x - dx * size, tip.y - dy * size);
  ImVec2 left(base.x - dy * size * 0.5f, base.y + dx * size * 0.5f);
  ImVec2 right(base.x + dy * size * 0.5f, base.y - dx * size * 0.5f);
  draw->AddTriangleFilled(tip, left, right, color);
}

void centered_text(ImDrawList* draw, ImFont* font, float size, ImVec2 center, ImU32 color, const std::string& text) {
  ImVec2 extent = font->CalcTextSizeA(size, 1e9f, 0.0f, text.c_str());
  draw->AddText(font, size, ImVec2(center.x - extent.x * 0.5f, center.y - extent.y * 0.5f), color, text.c_str());
}

bool mouse_in(ImVec2 min, ImVec2 max) {
  ImVec2 m = ImGui::GetIO().MousePos;
  return m.x >= min.x && m.x < max.x && m.y >= min.y && m.y < max.y;
}

}  // namespace gb::viewer
