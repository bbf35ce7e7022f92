// fuzz_npy.cpp: libFuzzer harness for the .npy reader (gb/core/npy.hpp, `glassbox infer --input`).
//
// Property: any byte string is either rejected by parse_npy with gb::Error, or gives a tensor that writes
// back (to_npy) to bytes that parse again to the same dtype, shape and bytes. A crash, a sanitizer report,
// a hang or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gb/core/error.hpp"
#include "gb/core/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  gb::Tensor t;
  try {
    t = gb::parse_npy(bytes);
  } catch (const gb::Error&) {
    return 0;  // rejected with a clear error: fine
  }
  const gb::Tensor back = gb::parse_npy(gb::to_npy(t));  // must not throw: we wrote it
  if (back.dtype() != t.dtype() || back.shape() != t.shape()) std::abort();
  const std::size_t n = static_cast<std::size_t>(t.numel()) * gb::dtype_size(t.dtype());
  if (n > 0 && std::memcmp(back.raw_data(), t.contiguous().raw_data(), n) != 0) std::abort();
  return 0;
}
