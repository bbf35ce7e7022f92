// infer.cpp: `glassbox infer MODEL --input NAME=FILE.npy ... [--optimize] [--record FILE.json]`: the
// inference engine end to end (lessons 16-17, issue 9).
//
//   load      MODEL.onnx through the ONNX importer, anything else as glassbox's FlatBuffers format
//   optimise  (--optimize, or --passes a,b,c) the pass pipeline run to a fixed point; prints the pass log,
//             the op count and the memory plan (peak live bytes, arena) before and after
//   run       the graph, fed from .npy files (or --random SEED: normal(0, 1) values for every input);
//             optimised graphs run inside their planned arena (run_with_plan) and are compared with the
//             unoptimised graph: the largest |difference| is printed
//   outputs   printed (name, dtype, shape, the first values); --output-dir DIR saves NAME.npy each;
//             --save FILE writes the (optimised) graph as .onnx or glassbox's format
//   --record FILE.json  writes the Recording (the pass log with before/after graphs, the memory
//             timeline of the run) for `glassbox view --recording`
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gb/convert/glassbox_format.hpp"
#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/npy.hpp"
#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/options.hpp"
#include "gb/passes/fused_ops.hpp"
#include "gb/passes/memory_plan.hpp"
#include "gb/passes/pass_manager.hpp"
#include "gb/passes/passes.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

namespace {

namespace fs = std::filesystem;

struct InferOptions {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;  // name, .npy path
  bool random = false;
  std::uint64_t seed = 0;
  bool optimize = false;
  std::vector<std::string> passes;  // empty with optimize: the default pipeline
  std::string record, output_dir, save;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string part;
  for (char c : text) {
    if (c == sep) {
      out.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  out.push_back(part);
  return out;
}

InferOptions parse(const std::vector<std::string>& args) {
  InferOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw Error("infer " + a, "a value after " + a, "nothing");
      return args[++i];
    };
    if (a == "--input") {
      const std::string& v = value();
      const std::size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) throw Error("infer --input", "NAME=FILE.npy", "'" + v + "'");
      o.inputs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--random") {
      o.random = true;
      o.seed = static_cast<std::uint64_t>(integer_option("infer", a, value(), 0, 1'000'000'000));
    } else if (a == "--optimize") {
      o.optimize = true;
    } else if (a == "--passes") {
      o.optimize = true;
      o.passes = split(value(), ',');
    } else if (a == "--record") {
      o.record = value();
    } else if (a == "--output-dir" || a == "-o") {
      o.output_dir = value();
    } else if (a == "--save") {
      o.save = value();
    } else if (a.rfind("-", 0) == 0) {
      throw Error("infer", "--input, --random, --optimize, --passes, --record, --output-dir or --save", "'" + a + "'");
    } else if (o.model.empty()) {
      o.model = a;
    } else {
      throw Error("infer", "one MODEL", "a second one, '" + a + "'");
    }
  }
  if (o.model.empty()) throw Error("infer", "a MODEL (.onnx or glassbox format)", "none");
  return o;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

graph::Graph load_model(const std::string& path, std::ostream& out) {
  if (ends_with(path, ".onnx")) {
    convert::OnnxModel m = convert::load_onnx(path);
    out << "model   " << path << ": ONNX opset " << m.opset << (m.producer.empty() ? "" : ", from " + m.producer) << "\n";
    return std::move(m.graph);
  }
  out << "model   " << path << ": glassbox format\n";
  return convert::load_glassbox_file(path);
}

std::string input_name(const graph::Graph& g, graph::ValueId v) {
  return g.node(g.value(v).producer).attr_string("name");
}

graph::Feeds make_feeds(const graph::Graph& g, const InferOptions& o) {
  graph::Feeds feeds;
  for (const auto& [name, path] : o.inputs) {
    if (!g.find_input(name)) {
      std::string known;
      for (graph::ValueId v : g.inputs()) known += (known.empty() ? "" : ", ") + input_name(g, v);
      throw Error("infer --input", "an input of the model (" + known + ")", "'" + name + "'");
    }
    feeds[name] = load_npy(path);
  }
  Rng rng(o.seed);
  for (graph::ValueId v : g.inputs()) {
    const std::string name = input_name(g, v);
    if (feeds.count(name)) continue;
    const graph::ValueInfo& info = g.value(v).info;
    if (!o.random) {
      throw Error("infer", "a value for every input (--input " + name + "=FILE.npy, or --random SEED)",
                  "none for '" + name + "' (" + graph::info_str(info) + ")");
    }
    Shape shape = info.shape;
    for (std::int64_t& d : shape) d = d < 0 ? 1 : d;  // a dynamic dimension gets size 1
    std::vector<double> values(static_cast<std::size_t>(shape_numel(shape)));
    for (double& x : values) x = rng.normal();
    feeds[name] = Tensor::from_values(values, shape, DType::f32).to(info.dtype);
  }
  return feeds;
}

std::string bytes_text(std::int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= (1 << 10)) std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / (1 << 10));
  else std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  return text;
}

// Every computed value of a run, so the memory plan knows the sizes of dynamic dimensions.
std::map<graph::ValueId, Tensor> run_keeping(const graph::Graph& g, const graph::Feeds& feeds) {
  graph::RunOptions ro;
  ro.keep_values = true;
  return graph::run_fifo(g, feeds, ro).values;
}

double max_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].shape() != b[k].shape()) return INFINITY;
    const std::vector<double> x = a[k].to_vector(), y = b[k].to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  }
  return worst;
}

void save_graph(const graph::Graph& g, const std::string& path, std::ostream& out) {
  if (ends_with(path, ".onnx")) {
    convert::save_onnx(g, path);
  } else {
    convert::save_glassbox_file(g, path);
  }
  out << "saved   " << path << "\n";
}

int run_infer(const std::vector<std::string>& args, std::ostream& out) {
  const InferOptions o = parse(args);
  convert::register_onnx_ops();
  passes::register_fused_ops();
  trace::Recorder recorder("17-graph-optimization", "glassbox infer " + o.model);
  std::optional<trace::ScopedRecorder> attach;
  if (!o.record.empty()) attach.emplace(recorder);

  const graph::Graph model = load_model(o.model, out);
  const graph::Feeds feeds = make_feeds(model, o);
  graph::Graph g = model;
  std::vector<Tensor> outputs;
  if (o.optimize) {
    passes::PassManager manager;
    if (o.passes.empty()) {
      for (passes::Pass& p : passes::default_pipeline()) manager.add(std::move(p));
    } else {
      for (const std::string& name : o.passes) manager.add(passes::pass_by_name(name));
    }
    g = manager.run_to_fixed_point(model);
    const std::string log = manager.log_text();
    out << (log.empty() ? "passes  no rule fired\n" : log);
    std::map<graph::ValueId, Tensor> before_values, after_values;
    std::vector<Tensor> reference;
    {
      trace::ScopedPause quiet;
      before_values = run_keeping(model, feeds);
      reference = graph::run(model, feeds);
      after_values = run_keeping(g, feeds);
    }
    const passes::MemoryPlan before = passes::plan_memory(model, {}, &before_values);
    const passes::MemoryPlan after = passes::plan_memory(g, {}, &after_values);
    out << "ops     " << passes::op_count(model) << " -> " << passes::op_count(g) << "\n";
    out << "memory  peak live " << bytes_text(before.peak_live_bytes) << " -> " << bytes_text(after.peak_live_bytes)
        << "; arena " << bytes_text(before.arena_bytes) << " -> " << bytes_text(after.arena_bytes) << " (every value its own buffer: "
        << bytes_text(before.naive_bytes) << " -> " << bytes_text(after.naive_bytes) << "; in place: " << after.in_place_count << ")\n";
    outputs = passes::run_with_plan(g, after, feeds);
    out << "check   max |optimised - original| = " << max_difference(outputs, reference) << "\n";
  } else {
    trace::ScopedPause quiet;
    outputs = graph::run(g, feeds);
  }

  if (!o.output_dir.empty()) fs::create_directories(o.output_dir);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    std::string name = g.value(g.outputs()[k]).name;
    if (name.empty()) name = "output_" + std::to_string(k);
    out << "output  " << name << " " << graph::info_str({outputs[k].dtype(), outputs[k].shape()}) << " = "
        << graph::value_text(outputs[k], 8) << "\n";
    if (!o.output_dir.empty()) {
      std::string file = name;
      for (char& c : file) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
      }
      save_npy(outputs[k], (fs::path(o.output_dir) / (file + ".npy")).string());
    }
  }
  if (!o.save.empty()) save_graph(g, o.save, out);
  if (!o.record.empty()) {
    attach.reset();
    std::ofstream file(o.record);
    file << trace::to_json(recorder.recording());
    if (!file) throw Error("infer --record", "a writable file", "'" + o.record + "'");
    out << "recorded " << o.record << " (" << recorder.recording().steps.size() << " steps)\n";
  }
  return 0;
}

}  // namespace

Command infer_command() {
  return {"infer", "infer MODEL --input NAME=FILE.npy... | --random SEED [--optimize | --passes a,b] [--record F.json] [-o DIR] [--save F.onnx|F.gbx]",
          "run an ONNX or glassbox model; --optimize runs the pass pipeline, plans memory and checks the outputs against the original",
          run_infer};
}

}  // namespace gb::lessons
