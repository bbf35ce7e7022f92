// tape.cpp: names and arities of the scalar tape's ops (the tape itself is a template in tape.hpp).
#include "gb/autodiff/local_partials.hpp"

namespace gb::autodiff {

const char* tape_op_name(TapeOp op) {
  switch (op) {
    case TapeOp::input: return "input";
    case TapeOp::constant: return "const";
    case TapeOp::add: return "+";
    case TapeOp::subtract: return "-";
    case TapeOp::multiply: return "*";
    case TapeOp::divide: return "/";
    case TapeOp::pow: return "^";
    case TapeOp::negate: return "neg";
    case TapeOp::pow_constant: return "^";
    case TapeOp::sin: return "sin";
    case TapeOp::cos: return "cos";
    case TapeOp::tan: return "tan";
    case TapeOp::exp: return "exp";
    case TapeOp::log: return "log";
    case TapeOp::sqrt: return "sqrt";
    case TapeOp::tanh: return "tanh";
    case TapeOp::sigmoid: return "sigmoid";
    case TapeOp::relu: return "relu";
    case TapeOp::abs: return "abs";
    case TapeOp::step: return "step";
    case TapeOp::sign: return "sign";
  }
  return "?";
}

}  // namespace gb::autodiff
