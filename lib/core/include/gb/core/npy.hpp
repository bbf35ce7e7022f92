// npy.hpp: NumPy's .npy files, the way tensors travel between glassbox and Python
// (`glassbox infer --input x=x.npy`, the notebooks).
//
// A .npy file is a 6-byte magic "\x93NUMPY", a version (1.0: a 2-byte header length; 2.0/3.0: 4
// bytes), then a Python dict literal padded with spaces to a multiple of 64 bytes and ending in '\n':
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// then the raw elements. descr = byte order ('<' little, '|' not applicable, '>' big) + kind
// ('f' float, 'i' signed, 'u' unsigned, 'b' bool) + bytes. glassbox reads <f4 <f8 <i8 <i4 |i1 |u1
// (and |b1 as u8), C or Fortran order; writes version 1.0, C order.
#pragma once

#include <string>

#include "gb/core/tensor.hpp"

namespace gb {

// gb::Error("npy", expected, given) for anything malformed, truncated or of another dtype/byte order.
Tensor parse_npy(const std::string& bytes);
Tensor load_npy(const std::string& path);
std::string to_npy(const Tensor& tensor);
void save_npy(const Tensor& tensor, const std::string& path);

}  // namespace gb
