"""glassbox.quant: quantization (lessons 23-quantization-basics to 25-quantization-aware-training).

NumPy in and out; the arithmetic is lib/quant's (see lib/quant/README.md for every rounding rule).

The affine map  q = saturate(round_half_even(x / S) + Z),  x' = S * (q - Z):

    S, Z = gb.quant.choose_qparams(-1.0, 2.0, dtype="uint8")        # (3/255, 85)
    S, Z = gb.quant.choose_qparams(-1.0, 2.0, dtype="int8", symmetric=True, restricted=True)  # (2/127, 0)
    q = gb.quant.quantize(x, S, Z, dtype="uint8")                   # uint8 array, as torch.quantize_per_tensor
    x2 = gb.quant.dequantize(q, S, Z)                               # float32 S * (q - Z)
    S, Z = gb.quant.qparams(w, dtype="int8", symmetric=True, axis=0)  # per channel: arrays of scales and zero points
    q = gb.quant.quantize(w, S, Z, dtype="int8", axis=0)            # as torch.quantize_per_channel

Integer-only requantization (gemmlowp / TensorFlow Lite):

    mult, shift = gb.quant.quantize_multiplier(0.0123)   # 0.0123 = mult * 2^(shift - 31), mult in [2^30, 2^31)
    y = gb.quant.multiply_by_quantized_multiplier(acc, mult, shift)   # acc: an int or an int32 array
    q = gb.quant.requantize(acc, mult, shift, zero_point=3, dtype="uint8")
    gb.quant.saturating_rounding_doubling_high_mul(a, b); gb.quant.rounding_divide_by_pot(x, e)

Calibration (a symmetric int8 threshold T, S = T / 127):

    T = gb.quant.calibrate(activations, method="kl")    # "minmax", "moving_average", "percentile", "kl", "mse"
    counts, edges = gb.quant.abs_histogram(activations, bins=2048)   # as numpy.histogram(|x|, 2048, (0, max|x|))
    sweep = gb.quant.kl_sweep(activations)              # dict: candidates, divergence, best, threshold, counts, edges
    obs = gb.quant.Observer("percentile", percentile=99.9); obs.observe(batch); obs.threshold()

Bad input (NaN, an empty array, min > max, an unknown dtype or method) raises glassbox.Error.
Floating inputs are converted to float32 first (as PyTorch's quantized tensors are float32).
"""
import numpy as _np

from ._glassbox.quant import *  # noqa: F401,F403  (also the integer kernels and the model half)
from . import _glassbox

_q = _glassbox.quant


def _dtype_name(dtype):
    """'int8' / 'uint8' from a name or a NumPy dtype (np.int8, np.uint8); other names go to C++, which names them."""
    if isinstance(dtype, str):
        return dtype
    try:
        return _np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def _f32(x):
    return _np.ascontiguousarray(_np.asarray(x, dtype=_np.float32))


def _params(scale, zero_point, axis, ndim):
    """Lists of scales and zero points and the C++ axis (-1 for per-tensor)."""
    scales = _np.atleast_1d(_np.asarray(scale, dtype=_np.float64)).ravel().tolist()
    zps = _np.atleast_1d(_np.asarray(zero_point)).ravel()
    if zps.dtype.kind == "f":
        if not _np.all(zps == _np.round(zps)):
            raise ValueError(f"zero points must be integers, given {zps}")
    zps = [int(z) for z in zps]
    if axis is None:
        return scales, zps, -1
    axis = int(axis)
    if axis < 0:
        axis += ndim
    return scales, zps, axis


def choose_qparams(min, max, dtype="int8", symmetric=False, restricted=False):  # noqa: A002 (torch's names)
    """(scale, zero_point) for the range [min, max] (PyTorch MinMaxObserver's rules; see lib/quant/README.md)."""
    return _q.choose_qparams(float(min), float(max), _dtype_name(dtype), bool(symmetric), bool(restricted))


def qparams(x, dtype="int8", symmetric=False, axis=None, restricted=False):
    """(scale, zero_point) from x's own min and max: floats per tensor, arrays (one per index along axis) per channel."""
    a = _f32(x)
    ax = -1 if axis is None else (int(axis) + a.ndim if int(axis) < 0 else int(axis))
    scales, zps = _q.tensor_qparams(a, _dtype_name(dtype), bool(symmetric), ax, bool(restricted))
    if axis is None:
        return scales[0], zps[0]
    return _np.asarray(scales, dtype=_np.float64), _np.asarray(zps, dtype=_np.int64)


def quantize(x, scale, zero_point, dtype="int8", axis=None, restricted=False):
    """x (float32) -> int8/uint8 codes: round half to even of x * float32(1/S), + Z, saturated (torch's arithmetic).
    scale and zero_point: numbers (per tensor) or arrays with axis= (per channel)."""
    a = _f32(x)
    scales, zps, ax = _params(scale, zero_point, axis, a.ndim)
    return _np.asarray(_q.quantize(a, scales, zps, _dtype_name(dtype), ax, bool(restricted)))


def dequantize(q, scale, zero_point, axis=None):
    """int8/uint8 codes -> float32 S * (q - Z) (the dtype is q's)."""
    codes = _np.ascontiguousarray(_np.asarray(q))
    dtype = codes.dtype.name if codes.dtype in (_np.int8, _np.uint8) else "int8"
    scales, zps, ax = _params(scale, zero_point, axis, codes.ndim)
    return _np.asarray(_q.dequantize(codes, scales, zps, dtype, ax))


def fake_quantize(x, scale, zero_point, dtype="int8", axis=None, restricted=False):
    """dequantize(quantize(x)): the float32 values an integer model really computes with."""
    a = _f32(x)
    scales, zps, ax = _params(scale, zero_point, axis, a.ndim)
    return _np.asarray(_q.fake_quantize(a, scales, zps, _dtype_name(dtype), ax, bool(restricted)))


def qrange(dtype="int8", restricted=False):
    """(qmin, qmax): (-128, 127), (-127, 127) restricted, (0, 255) for uint8."""
    return _q.qrange(_dtype_name(dtype), bool(restricted))


def quantize_multiplier(m):
    """TFLite QuantizeMultiplier: (multiplier, shift) with m = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    return _q.quantize_multiplier(float(m))


def _int_or_array(x, f):
    if isinstance(x, (int, _np.integer)):
        return int(_np.asarray(f(_np.asarray([int(x)], dtype=_np.int64)))[0])
    return _np.asarray(f(_np.asarray(x)))


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite MultiplyByQuantizedMultiplier: x * M in fixed point (x an int or an int32 array; an int32 result)."""
    return _int_or_array(x, lambda a: _q.multiply_by_quantized_multiplier_array(a, int(multiplier), int(shift)))


def requantize(acc, multiplier, shift, zero_point=0, dtype="int8", qmin=None, qmax=None):
    """saturate(zero_point + M * acc) on the dtype's grid (or [qmin, qmax], e.g. qmin = zero_point for a fused ReLU)."""
    lo, hi = qrange(dtype)
    lo = lo if qmin is None else int(qmin)
    hi = hi if qmax is None else int(qmax)
    return _int_or_array(acc, lambda a: _q.requantize_array(a, int(multiplier), int(shift), int(zero_point), lo, hi))


def abs_histogram(x, bins=2048):
    """(counts, edges) of |x| on [0, max|x|]: bin b holds edges[b] <= |x| < edges[b+1], the last bin closed,
    exactly numpy.histogram(abs(x.astype(float64)), bins, range=(0, max)) for float32 x."""
    counts, edges = _q.abs_histogram(_f32(x), int(bins))
    return _np.asarray(counts), _np.asarray(edges)


def kl_divergence(p, q):
    """KL(P || Q) of two histograms (each normalised to sum 1; +inf where q is 0 and p is not)."""
    return _q.kl_divergence(_np.asarray(p, dtype=_np.float64).tolist(), _np.asarray(q, dtype=_np.float64).tolist())


def _sweep(d):
    out = dict(d)
    for key in ("counts", "edges", "candidates", "divergence"):
        out[key] = _np.asarray(out[key])
    return out


def kl_sweep(x=None, bins=2048, levels=128, counts=None, max=None):  # noqa: A002
    """TensorRT's entropy calibration, kept whole: a dict with counts, edges (the |x| histogram), candidates
    (i = levels .. bins-1), divergence (KL for each), best (argmin, the first on ties) and threshold
    ((best + 0.5) * bin width). Give values x, or a histogram as counts= and max=."""
    if x is not None:
        return _sweep(_q.kl_sweep(_f32(x), int(bins), int(levels)))
    if counts is None or max is None:
        raise ValueError("kl_sweep needs values x, or counts= and max=")
    return _sweep(_q.kl_sweep_histogram(_np.asarray(counts, dtype=_np.float64).tolist(), float(max), int(levels)))


def calibrate(values, method="minmax", bins=2048, percentile=99.99):
    """The symmetric threshold T (S = T / 127) the calibrator picks for the values."""
    return _q.calibrate(_f32(values), str(method), int(bins), float(percentile))


class Observer(_q.Observer):
    """Observer(method="minmax", bins=2048, percentile=99.99, averaging_constant=0.01): observe(batch) many
    times, then threshold(); histogram() gives (counts, edges); min, max, batches, method."""

    def observe(self, x):
        super().observe(_f32(x))

    def histogram(self):
        counts, edges = super().histogram()
        return _np.asarray(counts), _np.asarray(edges)


def calibrators():
    """The calibrator names: minmax, moving_average, percentile, kl, mse."""
    return list(_q.calibrators())
