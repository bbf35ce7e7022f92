// main.cpp: the `glassbox` program. With no arguments it opens the viewer at the first lesson;
// the subcommands work without a display (DESIGN.md section 6). Errors go to stderr with exit code 1.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/narrate.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/export.hpp"
#include "gb/trace/json.hpp"
#ifdef GB_HAVE_VIEWER
#include "gui/state_file.hpp"
#include "gui/viewer.hpp"
#endif

namespace {

using gb::cli::Args;

const char* kUsage = R"(glassbox: an AI system you can see through.

usage:
  glassbox                       open the viewer at the first lesson (narrates when there is no display)
  glassbox view [LESSON] [--step N] [--level L] [--param NAME=VALUE]... [--params F]
  glassbox view --recording F.json | --state F
                                 the viewer at a lesson, a Recording file or a saved state
                                 (steps count from 1, as `run` prints them; 0 = before the first)
  glassbox list                  the lessons, their parts and parameters
  glassbox run LESSON [--level pass|op|tile|element] [--param NAME=VALUE]... [--params F]
                                 narrate a lesson's steps in the terminal
  glassbox export LESSON --format json|dot|chrome -o FILE [--param NAME=VALUE]... [--params F]
  glassbox shot [LESSON | --recording F.json | --state F] --step N -o FILE.png [--size WxH]
                [--param NAME=VALUE]... [--params F] [--level L] [--search TEXT] [--stats F.json]
                                 render the viewer to a PNG (needs a display or xvfb-run): the state
                                 after N steps; --stats writes what each panel drew
  glassbox help
)";

[[maybe_unused]] bool have_display() {
  const char* x = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wayland && *wayland);
}

[[maybe_unused]] std::int64_t parse_int(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw gb::Error("glassbox", what + " as an integer", "'" + text + "'");
}

const std::string& lesson_arg(const Args& args, const char* command) {
  if (args.positional.empty()) {
    throw gb::Error(std::string("glassbox ") + command, "a lesson id (see `glassbox list`)", "nothing");
  }
  return args.positional[0];
}

int cmd_list() {
  std::string part;
  for (const gb::lessons::Lesson& lesson : gb::lessons::all()) {
    if (lesson.part != part) std::cout << (part.empty() ? "" : "\n") << (part = lesson.part) << "\n";
    std::cout << "  " << lesson.id << "  " << lesson.title << "\n";
    for (const auto& p : lesson.parameters) {
      std::cout << "      --param " << p.name << "=" << p.default_value << "  " << p.help << "\n";
    }
  }
  return 0;
}

int cmd_run(const Args& args) {
  auto recording = gb::lessons::run(lesson_arg(args, "run"), gb::cli::all_params(args));
  gb::cli::narrate(recording, gb::trace::level_from_name(args.option("level", "element")), std::cout);
  return 0;
}

int cmd_export(const Args& args) {
  const std::string& id = lesson_arg(args, "export");
  const std::string format = args.option("format", "json"), path = args.option("o");
  if (path.empty()) throw gb::Error("glassbox export", "-o FILE", "no output file");
  auto recording = gb::lessons::run(id, gb::cli::all_params(args));
  std::string text;
  if (format == "json") text = gb::trace::to_json(recording);
  else if (format == "dot") text = gb::trace::to_dot(recording);
  else if (format == "chrome") text = gb::trace::to_chrome_trace(recording);
  else throw gb::Error("glassbox export", "--format json, dot or chrome", "'" + format + "'");
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw gb::Error("glassbox export", "a writable file", "'" + path + "'");
  std::cout << "wrote " << path << " (" << text.size() << " bytes, " << recording.steps.size() << " steps)\n";
  return 0;
}

int narrate_instead(const Args& args, const std::string& why) {
  gb::trace::Recording recording;
  std::string what, view;
#ifdef GB_HAVE_VIEWER
  if (args.has("state")) {  // the state's lesson (or Recording file) with its parameters
    const gb::viewer::ViewState state = gb::viewer::read_state_file(args.option("state"));
    if (!state.recording.empty()) {
      recording = gb::trace::from_json(gb::cli::read_file(state.recording, "glassbox view --state"));
    } else {
      gb::lessons::Params params = state.params;
      for (const auto& [name, value] : gb::cli::all_params(args)) params[name] = value;
      recording = gb::lessons::run(state.lesson, params);
    }
    what = "the state " + args.option("state") + " (" + (state.recording.empty() ? "lesson " + state.lesson : state.recording) +
           ", step " + std::to_string(state.step) + ")";
    view = "--state " + args.option("state");
  } else
#endif
  if (args.has("recording")) {
    recording = gb::trace::from_json(gb::cli::read_file(args.option("recording"), "glassbox view --recording"));
    what = "the Recording " + args.option("recording");
    view = "--recording " + args.option("recording");
  } else {
    const std::string id = args.positional.empty() ? gb::lessons::all().front().id : args.positional[0];
    recording = gb::lessons::run(id, gb::cli::all_params(args));
    what = "lesson " + id;
    view = id;
  }
  std::cout << "glassbox: " << why << ", so here is " << what << " narrated in the terminal.\n"
            << "To step through it in the viewer, run `glassbox view " << view
            << "` on a machine with a display (or over `ssh -X`);\n"
            << "`xvfb-run -a glassbox shot " << recording.lesson << " --step 5 -o tour.png` renders a screenshot without one.\n\n";
  gb::cli::narrate(recording, gb::trace::Level::element, std::cout);
  return 0;
}

#ifdef GB_HAVE_VIEWER
// The options view and shot share: what to show (a lesson, --recording, --state), parameters, step, level.
gb::viewer::ViewerOptions viewer_options(const Args& args, const char* command) {
  gb::viewer::ViewerOptions options;
  if (!args.positional.empty()) {
    options.lesson = args.positional[0];
    gb::lessons::find(options.lesson);  // a clear error for an unknown id, before any window
  }
  if (args.positional.size() > 1) {
    throw gb::Error(std::string("glassbox ") + command, "one lesson id", "'" + args.positional[1] + "' as well");
  }
  options.recording_path = args.option("recording");
  options.state_path = args.option("state");
  if (!options.recording_path.empty() && !options.lesson.empty()) {
    throw gb::Error(std::string("glassbox ") + command, "a lesson or --recording", "both");
  }
  options.params = gb::cli::all_params(args);
  if (args.has("step")) options.step = parse_int(args.option("step"), "--step") - 1;  // on screen steps count from 1
  if (args.has("level")) options.level = gb::trace::level_from_name(args.option("level"));
  options.search = args.option("search");
  options.stats_path = args.option("stats");
  if (args.has("size")) {
    const std::string size = args.option("size");
    const auto x = size.find('x');
    if (x == std::string::npos) throw gb::Error("glassbox --size", "WIDTHxHEIGHT, e.g. 1280x800", "'" + size + "'");
    options.width = static_cast<int>(parse_int(size.substr(0, x), "--size width"));
    options.height = static_cast<int>(parse_int(size.substr(x + 1), "--size height"));
  }
  if (args.has("width")) options.width = static_cast<int>(parse_int(args.option("width"), "--width"));
  if (args.has("height")) options.height = static_cast<int>(parse_int(args.option("height"), "--height"));
  return options;
}
#endif

int cmd_view(const Args& args) {
  if (!args.positional.empty()) gb::lessons::find(args.positional[0]);
#ifdef GB_HAVE_VIEWER
  gb::viewer::ViewerOptions options = viewer_options(args, "view");
  if (!have_display()) return narrate_instead(args, "there is no display (DISPLAY is not set)");
  try {
    return gb::viewer::open_viewer(options);
  } catch (const gb::Error& e) {
    if (std::string(e.what()).find("glfw") == std::string::npos) throw;  // not a window problem
    std::cerr << e.what() << "\n";
    return narrate_instead(args, "the viewer could not open a window");
  }
#else
  return narrate_instead(args, "this build has no viewer window (built with GB_BUILD_VIEWER=OFF, or without libimgui-dev and libglfw3-dev)");
#endif
}

int cmd_shot(const Args& args) {
  const std::string path = args.option("o");
  if (args.positional.empty() && !args.has("recording") && !args.has("state")) {
    throw gb::Error("glassbox shot", "a lesson id, --recording F.json or --state F", "none of them");
  }
  if (path.empty()) throw gb::Error("glassbox shot", "-o FILE.png", "no output file");
#ifdef GB_HAVE_VIEWER
  gb::viewer::shot(viewer_options(args, "shot"), path);
  std::cout << "wrote " << path << "\n";
  return 0;
#else
  throw gb::Error("glassbox shot", "a build with the viewer", "a build without libimgui-dev/libglfw3-dev");
#endif
}

int dispatch(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "view";
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    for (const gb::lessons::Command& c : gb::lessons::commands()) {
      std::cout << "  glassbox " << c.usage << "\n                                 " << c.help << "\n";
    }
    return 0;
  }
  if (command == "list") return cmd_list();
  if (command == "run") return cmd_run(Args::parse(argc, argv, 2, {"level", "params"}));
  if (command == "export") return cmd_export(Args::parse(argc, argv, 2, {"format", "o", "params"}));
  if (command == "view") {
    return cmd_view(Args::parse(argc, argv, argc > 1 ? 2 : 1, {"step", "level", "params", "recording", "state",
                                                                "size", "width", "height"}));
  }
  if (command == "shot") {
    return cmd_shot(Args::parse(argc, argv, 2, {"step", "o", "width", "height", "size", "level", "params", "recording",
                                                "state", "search", "stats"}));
  }
  if (const gb::lessons::Command* module_command = gb::lessons::find_command(command)) {
    return module_command->run(std::vector<std::string>(argv + 2, argv + argc), std::cout);
  }
  std::string known = "view, list, run, export, shot, help";
  for (const gb::lessons::Command& c : gb::lessons::commands()) known += ", " + c.name;
  throw gb::Error("glassbox", "a command (" + known + ")", "'" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  // `-o FILE` is the one short option of export and shot: rewrite it to --o so the parser stays simple.
  const std::string command = argc > 1 ? argv[1] : "";
  for (int i = 2; i < argc && (command == "export" || command == "shot"); ++i) {
    if (std::string(argv[i]) == "-o") argv[i] = const_cast<char*>("--o");
  }
  try {
    return dispatch(argc, argv);
  } catch (const gb::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
