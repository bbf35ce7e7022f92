// script.hpp: the script frontend (lesson 09): source parsing, the other road from a dynamic
// program to a static graph. The expression language of lesson 02 gains statements:
//
//   y = 0                      assignment (names are tensors; numbers are f64 scalars)
//   if x > 1:                  if / elif / else with Python indentation
//       y = x * 2
//   else:
//       y = -x
//   while y < 10:              while
//       y = y * y
//   for i in range(3):         counted loop; i is a scalar in the body
//       y = 4 * y * (1 - y)
//   return y                   the value of the function (exactly one return, last statement)
//
// Statements may also be separated by ';', a block may follow the ':' on the same line, '#' starts a
// comment and `pass` is the empty statement. Free names (read before assigned) are the inputs, in
// order of first use. Parsing keeps both branches: if becomes an If op holding two subgraphs, while
// and for become While ops (control/functional.hpp), each subgraph taking every outer value it uses
// as a placeholder:
//   if     outputs: the variables either branch assigns that are read afterwards; inputs: the
//          variables the branches read, plus those a branch passes through unchanged. A variable
//          read after the if must have a value on every path (assigned in both branches, or before).
//   while  carried: the variables the condition or body reads or assigns that are defined before
//          the loop (those assigned only inside are local to one iteration); they keep dtype and shape.
//   for    a While that also carries the counter (f64 from 0, local to the loop) and the bound n
//          (any scalar expression). Loops stop with a gb::Error after 100000 iterations.
// Functions: sin cos exp log (alias ln) tanh sigmoid relu sqrt, matmul(a, b), transpose(a), sum(a),
// mean(a); operators + - * / ^ (power, alias **), unary -, comparisons < <= > >= == != (give u8; no
// chains), and, or, not (on u8). Numbers are f64 scalars and broadcast against f64 tensor inputs.
// Every error is a gb::Error with line:column ("script: expected ':' at 2:9, given 'y'"), also for a
// graph op that refuses its operands; at most 100000 characters and 64 nested blocks or parentheses.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::control {

struct Script {
  graph::Graph graph;               // one placeholder per free name (input_infos or f64 scalar); one output
  std::vector<std::string> inputs;  // the free names, in order of first use
};

// input_infos: dtype and shape of inputs by name (tensor inputs); names not listed are f64 scalars.
Script parse_script(const std::string& text, const std::map<std::string, graph::ValueInfo>& input_infos = {});

}  // namespace gb::control
