// commands.cpp: the list of module subcommands of `glassbox`, one line each.
// A module command is written in lessons/commands/<name>.cpp as `Command <name>_command()`.
#include "gb/lessons/commands.hpp"

namespace gb::lessons {

Command grad_command();   // commands/grad.cpp
Command graph_command();  // commands/graph.cpp
Command train_command();  // commands/train.cpp
Command quant_report_command();  // commands/quant_report.cpp
Command compress_report_command();  // commands/compress_report.cpp
Command parallel_command();  // commands/parallel.cpp
Command mpi_train_command();  // commands/mpi_train.cpp
Command onnx_test_command();  // commands/onnx_test.cpp
Command infer_command();      // commands/infer.cpp

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      grad_command(),
      graph_command(),
      train_command(),
      quant_report_command(),
      compress_report_command(),
      parallel_command(),
      mpi_train_command(),
      onnx_test_command(),
      infer_command(),
  };
  return list;
}

const Command* find_command(const std::string& name) {
  for (const Command& command : commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

}  // namespace gb::lessons
