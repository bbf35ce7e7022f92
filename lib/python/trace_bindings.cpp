// trace_bindings.cpp: Recordings for Python, as JSON text.
//
// A Recording crosses into Python as the JSON of gb::trace::to_json, which glassbox/trace.py parses
// into plain dicts: one format, so a dict in a notebook, a file written by `glassbox export` and what
// the viewer draws can never disagree. Going back, the dict's JSON is read (and checked) by
// gb::trace::from_json. Replay states reuse the same writer: the scenes of a State are written as the
// scenes of a Recording, and the transient marks (highlights, cells read/written) come alongside.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <set>
#include <string>

#include "bindings.hpp"
#include "gb/trace/export.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/replay.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::python {

namespace {

trace::Recording read(const std::string& text, bool check) {
  trace::Recording recording = trace::from_json(text);
  if (check) trace::validate(recording);
  return recording;
}

py::list as_list(const std::set<std::string>& s) {
  py::list out;
  for (const auto& v : s) out.append(v);
  return out;
}
py::list as_list(const std::set<std::int64_t>& s) {
  py::list out;
  for (auto v : s) out.append(v);
  return out;
}

}  // namespace

void bind_trace(py::module_& m) {
  m.def("normalize",
        [](const std::string& text, int indent, bool check) { return trace::to_json(read(text, check), indent); },
        py::arg("text"), py::arg("indent") = 1, py::arg("validate") = true,
        "JSON text -> Recording (checked: from_json, and validate() replays every step) -> canonical JSON text");
  m.def("validate", [](const std::string& text) { trace::validate(trace::from_json(text)); }, py::arg("text"),
        "raises glassbox.Error describing the first invalid change");
  m.def("replay",
        [](const std::string& text, std::int64_t k) {
          const trace::Recording recording = trace::from_json(text);
          const trace::State state = trace::replay(recording, k);
          trace::Recording scenes;  // the state's scenes, written by the one JSON writer
          scenes.lesson = recording.lesson;
          scenes.title = recording.title;
          py::list marks;
          for (const trace::SceneState& s : state.scenes) {
            scenes.scenes.push_back(s.scene);
            marks.append(py::make_tuple(as_list(s.highlighted), as_list(s.cells_read), as_list(s.cells_written)));
          }
          return py::make_tuple(state.step, trace::to_json(scenes, -1), marks);
        },
        py::arg("text"), py::arg("k"),
        "(step, JSON of a Recording holding the state's scenes, [(highlighted, cells_read, cells_written)])");
  m.def("steps", [](const std::string& text) { return trace::from_json(text).steps.size(); }, py::arg("text"));
  m.def("to_dot", [](const std::string& text) { return trace::to_dot(trace::from_json(text)); }, py::arg("text"),
        "every graph scene as a Graphviz digraph");
  m.def("to_chrome_trace", [](const std::string& text) { return trace::to_chrome_trace(trace::from_json(text)); },
        py::arg("text"), "the Chrome/Perfetto Trace Event Format JSON");
  m.def("tensor_scene",
        [](const std::string& id, const std::string& title, const Tensor& t) {
          trace::Recording one;
          one.scenes.push_back(trace::tensor_scene(id, title, t));
          return trace::to_json(one, -1);
        },
        py::arg("id"), py::arg("title"), py::arg("tensor"), "JSON of a Recording holding one tensor scene");
}

}  // namespace gb::python
