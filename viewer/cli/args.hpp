// args.hpp: a small command-line parser: positional words, --flag VALUE, --param NAME=VALUE.
#pragma once

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"

namespace gb::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--format json" -> options["format"] = "json"
  std::map<std::string, std::string> params;   // "--param seed=3" -> params["seed"] = "3"

  // Parses argv[first..]; `known` lists the options that take a value. Unknown options throw gb::Error.
  static Args parse(int argc, char** argv, int first, const std::vector<std::string>& known);
  std::string option(const std::string& name, const std::string& fallback = "") const;
  bool has(const std::string& name) const { return options.count(name) != 0; }
};

inline Args Args::parse(int argc, char** argv, int first, const std::vector<std::string>& known) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      args.positional.push_back(word);
      continue;
    }
    std::string name = word.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= argc) throw Error("glassbox", "a value after " + word, "nothing");
      value = argv[++i];
    }
    if (name == "param") {
      auto eq = value.find('=');
      if (eq == std::string::npos) throw Error("glassbox", "--param NAME=VALUE", "'" + value + "'");
      args.params[value.substr(0, eq)] = value.substr(eq + 1);
      continue;
    }
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == name;
    if (!ok) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "--" : ", --") + k;
      throw Error("glassbox", "one of the options " + (list.empty() ? std::string("(none)") : list) + ", --param",
                  word);
    }
    args.options[name] = value;
  }
  return args;
}

// `--params F`: a file of NAME=VALUE lines (blank lines and # comments ignored), the same parameters as
// repeated `--param NAME=VALUE`. Throws gb::Error naming the file and line.
inline std::map<std::string, std::string> read_params_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("glassbox --params", "a readable file of NAME=VALUE lines", "'" + path + "'");
  std::map<std::string, std::string> params;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error("glassbox --params " + path + " line " + std::to_string(number), "NAME=VALUE", "'" + line + "'");
    }
    auto trim = [](std::string s) {
      const auto a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    params[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return params;
}

// The whole of a file as text; throws gb::Error naming `op` when it cannot be read.
inline std::string read_file(const std::string& path, const std::string& op) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(op, "a readable file", "'" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The parameters of a command: those of `--params F` first, then each `--param NAME=VALUE` over them.
inline std::map<std::string, std::string> all_params(const Args& args) {
  std::map<std::string, std::string> params;
  if (args.has("params")) params = read_params_file(args.option("params"));
  for (const auto& [name, value] : args.params) params[name] = value;
  return params;
}

inline std::string Args::option(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

}  // namespace gb::cli
