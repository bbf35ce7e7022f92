// commands.hpp: the subcommands that modules add to the `glassbox` program (`glassbox grad ...`,
// `glassbox onnx-test ...`). They live beside the lessons because the viewer program may depend on
// trace and lessons only (DESIGN.md section 2), while lessons may use any module.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace gb::lessons {

struct Command {
  std::string name;   // "grad"
  std::string usage;  // one line: "grad EXPR --at x1=2,x2=5 [--mode forward|reverse|numeric|symbolic]"
  std::string help;   // one line on what it does
  // Runs with the words after the command name; prints to out; returns the exit code.
  // Throws gb::Error on bad input (the program prints it and exits with 1).
  std::function<int(const std::vector<std::string>& args, std::ostream& out)> run;
};

// Every module command, in the order `glassbox help` lists them.
const std::vector<Command>& commands();
// The command with this name, or nullptr.
const Command* find_command(const std::string& name);

}  // namespace gb::lessons
