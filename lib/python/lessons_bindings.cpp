// lessons_bindings.cpp: the lesson catalogue for Python (glassbox/lessons.py turns the JSON into dicts).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/json.hpp"

namespace gb::python {

void bind_lessons(py::module_& m) {
  m.def("list",
        [] {
          py::list out;
          for (const lessons::Lesson& lesson : lessons::all()) {
            py::list parameters;
            for (const lessons::Parameter& p : lesson.parameters) {
              py::dict d;
              d["name"] = p.name;
              d["default"] = p.default_value;
              d["help"] = p.help;
              parameters.append(d);
            }
            py::dict d;
            d["id"] = lesson.id;
            d["title"] = lesson.title;
            d["part"] = lesson.part;
            d["parameters"] = parameters;
            out.append(d);
          }
          return out;
        },
        "every lesson, in course order: dicts with id, title, part, parameters [{name, default, help}]");
  m.def("text", [](const std::string& id) { return lessons::find(id).text; }, py::arg("id"),
        "the lesson's lesson.md");
  m.def("run_json",
        [](const std::string& id, const lessons::Params& params, int indent) {
          trace::Recording recording;
          {
            py::gil_scoped_release release;  // a scenario may run for a while and use worker threads
            recording = lessons::run(id, params);
          }
          return trace::to_json(recording, indent);
        },
        py::arg("id"), py::arg("params") = lessons::Params{}, py::arg("indent") = -1,
        "runs the lesson's scenario and returns its Recording as JSON text");
}

}  // namespace gb::python
