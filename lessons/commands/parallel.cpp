// parallel.cpp: `glassbox parallel --dp N --tp N --pp N [--zero 0|1] [--model NAME] [--microbatches M]
//               [--microbatch-size B] [--devices-per-node N] [--memory-gb G] [--trace F.json]`
//
// One training step of a GPT-style model on a simulated DP x TP x PP mesh (lesson 15,
// gb::parallel::simulate_hybrid_step): where each group sits (does TP stay inside a node?), what each
// device holds by kind against its capacity, and where the step's time goes (compute, TP, PP and DP
// communication, idle: the pipeline bubble and the waits). --trace writes the step as a Perfetto trace
// (https://ui.perfetto.dev). Every number is measured from the simulated execution.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/options.hpp"
#include "gb/parallel/hybrid.hpp"
#include "gb/parallel/perfetto.hpp"

namespace gb::lessons {

namespace {

namespace par = gb::parallel;

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}
std::string gib(std::int64_t bytes) { return fixed(static_cast<double>(bytes) / (1LL << 30), 2); }
std::string ms(double seconds) { return fixed(seconds * 1e3, 3); }

std::string groups(const std::vector<std::vector<int>>& list) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(list.size(), 8);
  for (std::size_t g = 0; g < shown; ++g) {
    out += " [";
    for (std::size_t i = 0; i < list[g].size(); ++i) out += (i ? " " : "") + std::to_string(list[g][i]);
    out += "]";
  }
  if (shown < list.size()) out += " ... (" + std::to_string(list.size()) + " groups)";
  return out;
}

void print_step(const par::HybridStep& step, int devices_per_node, std::ostream& out) {
  const par::HybridConfig& c = step.config;
  const par::GptModel& g = c.model;
  const par::Mesh mesh(c.dp, c.tp, c.pp);
  out << "model " << g.name << ": " << step.total_parameters << " parameters (L " << g.layers << ", h " << g.hidden << ", a "
      << g.heads << ", s " << g.sequence << ", V " << g.vocab << "), " << c.microbatches << " micro-batches of " << c.microbatch_size
      << " sequence(s) per replica: a global batch of "
      << static_cast<std::int64_t>(c.dp) * c.microbatches * c.microbatch_size << " sequences\n";
  out << "mesh " << mesh.describe() << ", " << devices_per_node << " devices per node, ZeRO-" << c.zero << "\n";
  out << "  TP groups (inside one node: " << (mesh.tp_within_nodes(devices_per_node) ? "yes" : "no") << "):" << groups(mesh.tp_groups()) << "\n";
  out << "  PP groups (stage 0 first):" << groups(mesh.pp_groups()) << "\n";
  out << "  DP groups:" << groups(mesh.dp_groups()) << "\n";

  out << "\nmemory per device by stage (GiB; capacity " << (c.cluster.memory_bytes > 0 ? gib(c.cluster.memory_bytes) : "unlimited") << ")\n";
  out << "stage  parameters/device  parameters  gradients  optimizer states  activations     peak\n";
  for (int s = 0; s < c.pp; ++s) {
    const par::DeviceStep& d = step.devices[static_cast<std::size_t>(mesh.device({0, 0, s}))];
    const auto kind = [&](par::MemoryKind k) { return gib(d.peak_by_kind[static_cast<std::size_t>(k)]); };
    out << std::setw(5) << s << std::setw(19) << d.parameters << std::setw(12) << kind(par::MemoryKind::parameters)
        << std::setw(11) << kind(par::MemoryKind::gradients) << std::setw(18) << kind(par::MemoryKind::optimizer_states)
        << std::setw(13) << kind(par::MemoryKind::activations) << std::setw(9) << gib(d.peak) << "\n";
  }
  if (c.pp > 1 && g.vocab > 0) out << "(the last stage holds a copy of the " << g.vocab * g.hidden << "-parameter embedding for the logits)\n";
  if (step.fits) {
    out << "fits: yes\n";
  } else {
    out << "fits: NO, " << step.over_capacity.size() << " device(s) over capacity (first: device " << step.over_capacity[0] << ", "
        << gib(step.devices[static_cast<std::size_t>(step.over_capacity[0])].peak) << " GiB)\n";
  }

  out << "\nstep time " << ms(step.step_seconds) << " ms, bubble and waits " << fixed(100 * step.bubble, 1) << "% of device time\n";
  out << "device  dp tp pp   compute   TP comm   PP comm   DP comm      idle   (ms; communication may overlap compute)\n";
  const std::size_t shown = std::min<std::size_t>(step.devices.size(), 32);
  for (std::size_t i = 0; i < shown; ++i) {
    const par::DeviceStep& d = step.devices[i];
    out << std::setw(6) << d.device << std::setw(4) << d.coord.dp << std::setw(3) << d.coord.tp << std::setw(3) << d.coord.pp
        << std::setw(10) << ms(d.compute) << std::setw(10) << ms(d.tp_comm) << std::setw(10) << ms(d.pp_comm) << std::setw(10)
        << ms(d.dp_comm) << std::setw(10) << ms(d.idle) << "\n";
  }
  if (shown < step.devices.size()) out << "... (" << step.devices.size() - shown << " more devices)\n";
}

int run_parallel(const std::vector<std::string>& args, std::ostream& out) {
  const std::string command = "parallel";
  par::HybridConfig config;
  std::string model = "gpt-small", trace;
  double memory_gb = 80;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option.rfind("--", 0) != 0) throw Error(command, "options starting with --", "'" + option + "'");
    if (i + 1 >= args.size()) throw Error(command + " " + option, "a value after " + option, "nothing");
    const std::string& value = args[++i];
    const auto integer = [&](std::int64_t low, std::int64_t high) { return integer_option(command, option, value, low, high); };
    if (option == "--dp") config.dp = static_cast<int>(integer(1, 4096));
    else if (option == "--tp") config.tp = static_cast<int>(integer(1, 4096));
    else if (option == "--pp") config.pp = static_cast<int>(integer(1, 4096));
    else if (option == "--zero") config.zero = static_cast<int>(integer(0, 3));
    else if (option == "--microbatches") config.microbatches = static_cast<int>(integer(1, 4096));
    else if (option == "--microbatch-size") config.microbatch_size = integer(1, 4096);
    else if (option == "--devices-per-node") config.cluster.devices_per_node = static_cast<int>(integer(1, 4096));
    else if (option == "--memory-gb") memory_gb = number_option(command, option, value, 0, false, 1e6);
    else if (option == "--model") model = value;
    else if (option == "--trace") trace = value;
    else {
      throw Error(command,
                  "one of --dp, --tp, --pp, --zero, --model, --microbatches, --microbatch-size, --devices-per-node, --memory-gb, --trace",
                  "'" + option + "'");
    }
  }
  config.model = par::gpt_preset(model);
  const std::int64_t devices = static_cast<std::int64_t>(config.dp) * config.tp * config.pp;
  if (devices > par::kMaxDevices) {
    throw Error(command, "--dp x --tp x --pp of at most " + std::to_string(par::kMaxDevices) + " devices", std::to_string(devices));
  }
  config.cluster.devices = static_cast<int>(devices);
  config.cluster.memory_bytes = static_cast<std::int64_t>(memory_gb * (1LL << 30));
  const par::HybridStep step = par::simulate_hybrid_step(config);
  print_step(step, config.cluster.devices_per_node, out);

  if (!trace.empty()) {
    std::vector<std::string> categories;
    for (par::Traffic t : step.traffic) categories.push_back(par::traffic_name(t));
    std::ofstream file(trace, std::ios::binary);
    if (!file) throw Error(command + " --trace", "a file that can be written", "'" + trace + "'");
    file << par::perfetto_json(step.execution, step.tasks, {config.cluster.devices_per_node, categories});
    if (!file) throw Error(command + " --trace", "the whole trace written", "a write error on '" + trace + "'");
    out << "\ntrace: " << step.tasks.size() << " tasks written to " << trace << " (open it in https://ui.perfetto.dev)\n";
  }
  return 0;
}

}  // namespace

Command parallel_command() {
  return {"parallel",
          "parallel --dp N --tp N --pp N [--zero 0|1] [--model gpt-small|gpt-1.3b|gpt-6.7b|gpt-13b] [--microbatches M] "
          "[--microbatch-size B] [--devices-per-node N] [--memory-gb G] [--trace F.json]",
          "simulate one training step of a GPT on a DP x TP x PP mesh: placement, memory per device, step-time breakdown",
          run_parallel};
}

}  // namespace gb::lessons
