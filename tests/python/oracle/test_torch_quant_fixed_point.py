"""The published semantics of integer requantization as the oracle of lib/quant/src/fixed_point.cpp.

Not PyTorch (its quantized kernels do not expose these steps to Python): a transcription, in Python's
unbounded integers, of the definitions in gemmlowp's fixedpoint/fixedpoint.h
(SaturatingRoundingDoublingHighMul, RoundingDivideByPOT) and TensorFlow Lite's
kernels/internal/quantization_util.cc (QuantizeMultiplier) and common.h (MultiplyByQuantizedMultiplier,
the double-rounding version), compared with gb.quant on edge cases (INT32_MIN/MAX, exact ties, tiny
and large multipliers) and on random int32 inputs. The file is named test_torch_*.py so that the
oracle glob of tests/python/CMakeLists.txt runs it (label `oracle`); it needs no torch and never skips.

Where TFLite is undefined (x * 2^left overflowing int32 when M >= 1), glassbox saturates x * 2^left
to int32 first; those inputs are checked against that documented rule separately.
"""
import math

import numpy as np
import pytest

import glassbox as gb

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def trunc_div(n, d):
    """C++'s integer division: the quotient rounded toward zero."""
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d > 0) else -q


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul(int32 a, int32 b)."""
    overflow = a == b and a == INT32_MIN
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    high = trunc_div(ab + nudge, 1 << 31)
    return INT32_MAX if overflow else high


def rdbp(x, exponent):
    """gemmlowp RoundingDivideByPOT(int32 x, int exponent), exponent in [0, 31]."""
    mask = (1 << exponent) - 1
    remainder = x & mask  # Python's & on a negative int is the two's complement bit pattern's
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def tflite_round(v):
    """TfLiteRound = std::round: half away from zero."""
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def quantize_multiplier(m):
    """TFLite QuantizeMultiplier (without TFLITE_SINGLE_ROUNDING)."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = tflite_round(q * (1 << 31))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def mbqm(x, multiplier, shift, saturate_left=False):
    """TFLite MultiplyByQuantizedMultiplier (double rounding); saturate_left: glassbox's rule where
    TFLite's x * (1 << left_shift) would overflow int32."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    scaled = x * (1 << left)
    if saturate_left:
        scaled = min(max(scaled, INT32_MIN), INT32_MAX)
    else:
        assert INT32_MIN <= scaled <= INT32_MAX, "TFLite overflows here"
    return rdbp(srdhm(scaled, multiplier), right)


EDGES = [INT32_MIN, INT32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1, -65536, -3, -2, -1, 0, 1, 2, 3,
         65535, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX]


def random_int32(rng, n):
    return [int(v) for v in rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)]


def test_high_mul_on_every_pair_of_edges_and_random_pairs():
    for a in EDGES:
        for b in EDGES:
            assert gb.quant.saturating_rounding_doubling_high_mul(a, b) == srdhm(a, b), (a, b)
    rng = np.random.default_rng(31)
    for a, b in zip(random_int32(rng, 20000), random_int32(rng, 20000)):
        assert gb.quant.saturating_rounding_doubling_high_mul(a, b) == srdhm(a, b), (a, b)
    # exact ties: a * b = (2k + 1) * 2^30
    for k in range(-50, 50):
        a, b = 2 * k + 1, 1 << 30
        assert gb.quant.saturating_rounding_doubling_high_mul(a, b) == srdhm(a, b), a


def test_rounding_divide_by_pot_on_edges_ties_and_random_values():
    for e in range(32):
        for x in EDGES + [(2 * k + 1) << max(e - 1, 0) for k in range(-20, 20)]:
            if INT32_MIN <= x <= INT32_MAX:
                assert gb.quant.rounding_divide_by_pot(x, e) == rdbp(x, e), (x, e)
    rng = np.random.default_rng(32)
    for x, e in zip(random_int32(rng, 20000), rng.integers(0, 32, 20000)):
        assert gb.quant.rounding_divide_by_pot(x, int(e)) == rdbp(x, int(e)), (x, e)
    for e in (-1, 32):
        with pytest.raises(gb.Error):
            gb.quant.rounding_divide_by_pot(1, e)


def test_quantize_multiplier_on_tiny_ordinary_and_large_multipliers():
    specials = [0.0, 2.0**-40, 2.0**-33, 2.0**-32, 2.0**-31 * 0.75, 4.6e-10, 1e-9, 0.25, 0.5, 1.0 - 2.0**-40,
                1.0 - 2.0**-33, 1.0, 1.5, 2.0, 1e3, 12345.678, 2.0**20]
    rng = np.random.default_rng(33)
    for m in specials + list(np.exp(rng.uniform(-25.0, 12.0, 5000))):
        assert gb.quant.quantize_multiplier(float(m)) == quantize_multiplier(float(m)), m
    with pytest.raises(gb.Error):
        gb.quant.quantize_multiplier(-1.0)
    with pytest.raises(gb.Error):
        gb.quant.quantize_multiplier(float("nan"))


def test_multiply_by_quantized_multiplier_matches_tflite_where_tflite_is_defined():
    rng = np.random.default_rng(34)
    multipliers = [quantize_multiplier(float(m)) for m in np.exp(rng.uniform(-22.0, 0.0, 300))]
    multipliers += [quantize_multiplier(m) for m in (2.0**-31, 2.0**-32, 0.5, 0.999)]
    for mult, shift in multipliers:
        for x in EDGES + random_int32(rng, 60):
            assert gb.quant.multiply_by_quantized_multiplier(x, mult, shift) == mbqm(x, mult, shift), (x, mult, shift)
    # M >= 1: x small enough that x * 2^left fits
    for m in (1.0 - 2.0**-40, 1.0, 1.75, 3.0, 1000.0, 2.0**20):  # the first rounds up to 0.5 * 2^1
        mult, shift = quantize_multiplier(m)
        bound = INT32_MAX >> shift
        for x in [0, 1, -1, bound, -bound] + [int(v) for v in rng.integers(-bound, bound, 200)]:
            assert gb.quant.multiply_by_quantized_multiplier(x, mult, shift) == mbqm(x, mult, shift), (x, m)


def test_left_shifts_that_overflow_saturate_first():
    for m in (2.0, 1000.0, 2.0**20):
        mult, shift = quantize_multiplier(m)
        for x in (INT32_MAX, INT32_MIN, (INT32_MAX >> shift) + 1, -(INT32_MAX >> shift) - 2, 123456789):
            assert gb.quant.multiply_by_quantized_multiplier(x, mult, shift) == mbqm(x, mult, shift, saturate_left=True)


def test_the_array_form_is_the_scalar_form_elementwise():
    rng = np.random.default_rng(35)
    acc = rng.integers(INT32_MIN, INT32_MAX, 1000, endpoint=True).astype(np.int32)
    mult, shift = quantize_multiplier(0.00731)
    got = gb.quant.multiply_by_quantized_multiplier(acc, mult, shift)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [mbqm(int(x), mult, shift) for x in acc])
    # requantize: saturate(Z + M * acc) on the grid
    q = gb.quant.requantize(acc // 1000, mult, shift, zero_point=7, dtype="uint8")
    np.testing.assert_array_equal(q, [min(max(7 + mbqm(int(x), mult, shift), 0), 255) for x in acc // 1000])
    with pytest.raises(gb.Error):
        gb.quant.multiply_by_quantized_multiplier(2**31, mult, shift)
