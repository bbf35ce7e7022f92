// hybrid_model.cpp: the GPT-style model by numbers (lesson 15): presets, parameters, flops and
// activation bytes per layer (see hybrid.hpp for the formulas and their papers).
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/hybrid.hpp"

namespace gb::parallel {

std::int64_t GptModel::parameters() const { return 12 * layers * hidden * hidden + vocab * hidden; }

namespace {

struct Preset {
  const char* name;
  int layers;
  std::int64_t hidden;
  int heads;
  std::int64_t sequence;
};

// GPT-2 small and three of GPT-3's sizes (Brown et al. 2020, table 2.1), with GPT-2's vocabulary.
constexpr Preset kPresets[] = {
    {"gpt-small", 12, 768, 12, 1024},
    {"gpt-1.3b", 24, 2048, 16, 2048},
    {"gpt-6.7b", 32, 4096, 32, 2048},
    {"gpt-13b", 40, 5120, 40, 2048},
};

}  // namespace

std::vector<std::string> gpt_preset_names() {
  std::vector<std::string> names;
  for (const Preset& p : kPresets) names.emplace_back(p.name);
  return names;
}

GptModel gpt_preset(const std::string& name) {
  for (const Preset& p : kPresets) {
    if (name == p.name) return {p.name, p.layers, p.hidden, p.heads, p.sequence, 50257};
  }
  std::string known;
  for (const Preset& p : kPresets) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw Error("gpt_preset", "one of " + known, "'" + name + "'");
}

double layer_forward_flops(const GptModel& model, std::int64_t microbatch_size, int tp) {
  const double b = static_cast<double>(microbatch_size), s = static_cast<double>(model.sequence),
               h = static_cast<double>(model.hidden);
  // 2 flops per multiply-add: QKV 6 b s h^2, scores and their use 4 b s^2 h, output 2 b s h^2, MLP 16 b s h^2.
  return (24 * b * s * h * h + 4 * b * s * s * h) / tp;
}

std::int64_t layer_activation_bytes(const GptModel& model, std::int64_t microbatch_size, int tp, int bytes_per_value) {
  const double b = static_cast<double>(microbatch_size), s = static_cast<double>(model.sequence),
               h = static_cast<double>(model.hidden), a = model.heads, t = tp;
  // Korthikanti et al. count fp16 values (and 1-byte dropout masks): 10 s b h replicated on every TP
  // rank (layer-norm inputs, the dropouts' outputs and masks), 24 s b h split (the QKV and MLP inputs
  // and GeLU's), 5 a s^2 b split (the attention scores, their softmax and its dropout).
  const double fp16_bytes = s * b * h * (10 + 24 / t + 5 * a * s / (h * t));
  return static_cast<std::int64_t>(std::llround(fp16_bytes * bytes_per_value / 2.0));
}

}  // namespace gb::parallel
