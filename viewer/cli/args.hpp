// args.hpp: a small command-line parser: positional words, --flag VALUE, --param NAME=VALUE.
#pragma once

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

inline std::string Args::option(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

}  // namespace gb::cli
