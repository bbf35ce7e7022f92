// onnx_test.cpp: `glassbox onnx-test DIR...`: runs ONNX backend test cases, the oracle we did not write
// (lesson 16, issue 9).
//
// A case is a folder: model.onnx and test_data_set_N/ folders of input_K.pb and output_K.pb (serialized
// TensorProtos, the K-th graph input and output). A DIR is one case or a folder of cases (all of them,
// sorted by name). Each case prints one line:
//   pass  test_relu
//   fail  test_x: output 0 worst |error| 0.3 at [1, 2]
//   skip  test_y: unsupported: <what>      (an op, dtype or attribute glassbox does not run)
// and the run ends with "N passed, N failed, N skipped"; the exit code is 1 when a case failed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/executor.hpp"
#include "gb/lessons/commands.hpp"

namespace gb::lessons {

namespace {

namespace fs = std::filesystem;

// float32 keeps 24 bits (about 7 decimal digits); a sum of K products computed in another order (a
// blocked GEMM, a double accumulator) differs by about K * 6e-8 relatively, so rtol 1e-4 leaves room
// for reductions of ~1000 terms. Near zero a relative bound means nothing (softmax of a large logit,
// x - x), hence the absolute 1e-5. Integers and booleans must be exact.
constexpr double kRtol = 1e-4, kAtol = 1e-5;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

std::string index_text(const Shape& shape, std::int64_t flat) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    index[k] = shape[k] > 0 ? flat % shape[k] : 0;
    flat = shape[k] > 0 ? flat / shape[k] : 0;
  }
  std::string out = "[";
  for (std::size_t k = 0; k < index.size(); ++k) out += (k ? ", " : "") + std::to_string(index[k]);
  return out + "]";
}

// Empty when equal within the tolerance, else why not: "output 0 worst |error| 0.3 at [1, 2]".
std::string compare(std::size_t k, const Tensor& got, const Tensor& expected) {
  const std::string which = "output " + std::to_string(k);
  if (got.shape() != expected.shape() || got.dtype() != expected.dtype()) {
    return which + " is " + graph::info_str({got.dtype(), got.shape()}) + ", expected " + graph::info_str({expected.dtype(), expected.shape()});
  }
  const std::vector<double> a = got.to_vector(), e = expected.to_vector();
  const bool floating = is_floating(expected.dtype());
  double worst = -1;
  std::int64_t worst_at = -1;
  bool failed = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(e[i])) continue;  // NaN expected, NaN given: equal
    if (a[i] == e[i]) continue;                          // also equal infinities
    const double error = std::isnan(a[i]) || std::isnan(e[i]) ? INFINITY : std::fabs(a[i] - e[i]);
    if (!floating || !(error <= kAtol + kRtol * std::fabs(e[i]))) failed = true;
    if (error > worst) worst = error, worst_at = static_cast<std::int64_t>(i);
  }
  if (!failed) return "";
  return which + " worst |error| " + number(worst) + " at " + index_text(expected.shape(), worst_at);
}

std::vector<fs::path> sorted_entries(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// input_0.pb, input_1.pb, ... until the first missing index (sorting names would put 10 before 2).
std::vector<fs::path> numbered(const fs::path& dir, const std::string& stem) {
  std::vector<fs::path> out;
  for (int k = 0; fs::exists(dir / (stem + std::to_string(k) + ".pb")); ++k) out.push_back(dir / (stem + std::to_string(k) + ".pb"));
  return out;
}

// Runs one data set of a loaded model: empty when every output matches, else the failure.
std::string run_data_set(const convert::OnnxModel& model, const fs::path& dir) {
  graph::Feeds feeds;
  const std::vector<fs::path> inputs = numbered(dir, "input_"), outputs = numbered(dir, "output_");
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    std::string name;
    Tensor value = convert::load_tensor(inputs[k].string(), &name);
    // Feed by the tensor's own name when it names a model input, else by position.
    if (std::find(model.input_names.begin(), model.input_names.end(), name) == model.input_names.end()) {
      if (k >= model.input_names.size()) return "input_" + std::to_string(k) + ".pb has no model input to feed";
      name = model.input_names[k];
    }
    feeds[name] = value;
  }
  const std::vector<Tensor> got = graph::run(model.graph, feeds);
  if (got.size() < outputs.size()) return std::to_string(outputs.size()) + " expected outputs, the model has " + std::to_string(got.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const std::string why = compare(k, got[k], convert::load_tensor(outputs[k].string()));
    if (!why.empty()) return dir.filename().string() + " " + why;
  }
  return "";
}

enum class Outcome { pass, fail, skip };

Outcome run_case(const fs::path& dir, std::ostream& out) {
  const std::string name = dir.filename().string();
  try {
    const convert::OnnxModel model = convert::load_onnx((dir / "model.onnx").string());
    for (const fs::path& set : sorted_entries(dir, "test_data_set_")) {
      const std::string why = run_data_set(model, set);
      if (!why.empty()) {
        out << "fail  " << name << ": " << why << "\n";
        return Outcome::fail;
      }
    }
    out << "pass  " << name << "\n";
    return Outcome::pass;
  } catch (const convert::Unsupported& e) {
    out << "skip  " << name << ": unsupported: " << e.what() << "\n";
    return Outcome::skip;
  } catch (const std::exception& e) {  // gb::Error and anything else: a failed case, never a crash
    out << "fail  " << name << ": " << e.what() << "\n";
    return Outcome::fail;
  }
}

int run_onnx_test(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty()) throw Error("onnx-test", "one or more test case folders", "none");
  std::vector<fs::path> cases;
  for (const std::string& arg : args) {
    const fs::path dir(arg);
    if (fs::exists(dir / "model.onnx")) {
      cases.push_back(dir);
    } else if (fs::is_directory(dir)) {
      for (const fs::path& sub : sorted_entries(dir, "")) {
        if (fs::exists(sub / "model.onnx")) cases.push_back(sub);
      }
    } else {
      throw Error("onnx-test", "a test case folder (model.onnx, test_data_set_*) or a folder of them", "'" + arg + "'");
    }
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const fs::path& dir : cases) {
    const Outcome outcome = run_case(dir, out);
    (outcome == Outcome::pass ? passed : outcome == Outcome::fail ? failed : skipped) += 1;
  }
  out << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace

Command onnx_test_command() {
  return {"onnx-test", "onnx-test DIR...",
          "run ONNX backend test cases (model.onnx + test_data_set_*), one line per case: pass, fail with the worst error, or skip (unsupported)",
          run_onnx_test};
}

}  // namespace gb::lessons
