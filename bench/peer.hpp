// peer.hpp: runs a peer script (bench/peers/*.py, PyTorch) once in a child process and reads what it
// prints: one "name seconds" pair per line. The benchmarks report those seconds as manual time beside
// their own rows, so both sides are measured in the same run (DESIGN.md section 7).
#pragma once

#include <cstdio>
#include <map>
#include <string>

namespace gb::bench {

// `script` is a file in bench/peers/, `args` its arguments. Empty when python3 or torch is missing.
inline std::map<std::string, double> run_peer(const std::string& script, const std::string& args) {
  std::map<std::string, double> out;
  const std::string command = "/usr/bin/python3 " GB_SOURCE_DIR "/bench/peers/" + script + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char name[128];
  double seconds = 0;
  while (std::fscanf(pipe, "%127s %lf", name, &seconds) == 2) out[name] = seconds;
  pclose(pipe);
  return out;
}

// One value of a peer's output, or -1 when the peer did not print it.
inline double peer_value(const std::map<std::string, double>& peer, const std::string& name) {
  const auto it = peer.find(name);
  return it == peer.end() ? -1 : it->second;
}

}  // namespace gb::bench
