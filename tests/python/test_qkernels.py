"""gb.quant.qgemm / qlinear / qconv2d (lib/quant's integer kernels) against a NumPy int64 oracle.

The oracle is written here from the formulas of qgemm.hpp and the published TFLite / gemmlowp
requantization (QuantizeMultiplier, SaturatingRoundingDoublingHighMul, RoundingDivideByPOT), in int64
NumPy and Python integers, so every variant and algorithm must agree with it bit for bit.
"""
import math

import numpy as np
import pytest

import glassbox as gb

q = gb.quant
VARIANTS = q.available_qgemm_variants()
ALGOS = q.qconv_algorithms() + ["best"]


# --- the oracle -------------------------------------------------------------------------------------------

def acc_oracle(a, a_zero, b, b_zero):
    """sum_k (a[i,k] - a_zero) (b[j,k] - b_zero[j]) in int64."""
    bz = np.zeros(b.shape[0], np.int64) if b_zero is None else np.broadcast_to(np.asarray(b_zero, np.int64), (b.shape[0],))
    return (a.astype(np.int64) - a_zero) @ (b.astype(np.int64) - bz[:, None]).T


def quantize_multiplier(m):
    """TFLite QuantizeMultiplier: m = mult * 2^(shift - 31), mult in [2^30, 2^31)."""
    if m == 0:
        return 0, 0
    frac, shift = math.frexp(m)
    mult = round(frac * (1 << 31))
    if mult == 1 << 31:
        mult //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return mult, shift


def multiply_by_quantized_multiplier(x, mult, shift):
    """x * M with gemmlowp's two roundings (x: int64 array of int32 values)."""
    left, right = max(shift, 0), max(-shift, 0)
    x = np.clip(x.astype(np.int64) * (1 << left), -(1 << 31), (1 << 31) - 1)  # saturating left shift
    ab = x * np.int64(mult)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # (ab + nudge) / 2^31 truncated toward zero (C++ division), |ab| < 2^62 so int64 holds it.
    high = np.where(ab + nudge >= 0, (ab + nudge) // (1 << 31), -((-(ab + nudge)) // (1 << 31)))
    if right == 0:
        return high
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + (remainder > threshold)


def requantize_oracle(acc, x_scale, w_scales, bias, out_scale, out_zero, relu):
    """acc [M, N] int64 -> uint8 [M, N] (per-channel along N when w_scales has N entries)."""
    n = acc.shape[1]
    w_scales = np.broadcast_to(np.asarray(w_scales, np.float64), (n,))
    out = np.empty(acc.shape, np.int64)
    for j in range(n):
        col = acc[:, j].astype(np.int64)
        if bias is not None:
            col = col + int(np.rint(np.float64(bias[j]) / (x_scale * w_scales[j])))
        col = np.clip(col, -(1 << 31), (1 << 31) - 1)
        mult, shift = quantize_multiplier(x_scale * w_scales[j] / out_scale)
        out[:, j] = out_zero + multiply_by_quantized_multiplier(col, mult, shift)
    return np.clip(out, out_zero if relu else 0, 255).astype(np.uint8)


def conv_acc_oracle(x, x_zero, w, w_zero, stride, padding, dilation, groups):
    """int64 [N, OC, OH, OW] accumulators of the convolution; padding (top, left, bottom, right) reads x_zero."""
    n, c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    top, left, bottom, right = padding
    xp = np.full((n, c, h + top + bottom, wd + left + right), x_zero, np.int64)
    xp[:, :, top:top + h, left:left + wd] = x
    xp -= x_zero
    oh = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    wz = np.broadcast_to(np.asarray(0 if w_zero is None else w_zero, np.int64), (oc,))
    wc = w.astype(np.int64) - wz[:, None, None, None]
    ocg = oc // groups
    out = np.zeros((n, oc, oh, ow), np.int64)
    for g in range(groups):
        xg = xp[:, g * icg:(g + 1) * icg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dilation[0]:i * dilation[0] + stride[0] * (oh - 1) + 1:stride[0],
                           j * dilation[1]:j * dilation[1] + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, g * ocg:(g + 1) * ocg] += np.einsum("nchw,oc->nohw", patch, wc[g * ocg:(g + 1) * ocg, :, i, j])
    return out


def test_the_oracle_requantizes_like_gb_quant_requantize():
    # Two independent writings of the fixed-point step (ours above, helper A's in fixed_point.cpp).
    rng = np.random.default_rng(0)
    acc = rng.integers(-(1 << 31), 1 << 31, size=2000, dtype=np.int64)
    for m in (0.0003, 0.01, 0.37, 0.5, 0.999, 1.5, 7.0):
        mult, shift = quantize_multiplier(m)
        assert (mult, shift) == tuple(q.quantize_multiplier(m))
        ours = multiply_by_quantized_multiplier(acc, mult, shift)
        theirs = q.multiply_by_quantized_multiplier(acc.astype(np.int32), mult, shift)
        np.testing.assert_array_equal(ours, theirs)


# --- qgemm ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_qgemm_equals_the_int64_oracle(variant, rng):
    for m, n, k in [(1, 1, 1), (3, 5, 7), (6, 64, 4), (7, 65, 257), (145, 19, 9), (2, 130, 600), (33, 3, 1029)]:
        for a_zero, b_zero in [(0, None), (255, 127), (128, -128), (7, "per-channel")]:
            a = rng.integers(0, 256, (m, k), dtype=np.uint8)
            b = rng.integers(-128, 128, (n, k), dtype=np.int8)
            bz = rng.integers(-128, 128, n) if b_zero == "per-channel" else b_zero
            got = q.qgemm(a, a_zero, b, bz, variant=variant)
            assert got.dtype == np.int32 and got.shape == (m, n)
            np.testing.assert_array_equal(got, acc_oracle(a, a_zero, b, bz), err_msg=f"{variant} {m}x{n}x{k}")


def test_qgemm_at_the_overflow_bound():
    k = q.qgemm_max_k()
    assert k == (2**31 - 1) // (255 * 255)
    a = np.zeros((1, k), np.uint8)
    b = np.full((1, k), -128, np.int8)
    for variant in VARIANTS:
        assert q.qgemm(a, 255, b, 127, variant=variant)[0, 0] == 255 * 255 * k
    with pytest.raises(gb.Error, match="33025"):
        q.qgemm(np.zeros((1, k + 1), np.uint8), 0, np.zeros((1, k + 1), np.int8))


def test_qgemm_rejects_bad_input():
    a = np.zeros((2, 3), np.uint8)
    b = np.zeros((4, 3), np.int8)
    with pytest.raises(gb.Error, match="uint8"):
        q.qgemm(a.astype(np.int32), 0, b)
    with pytest.raises(gb.Error, match=r"b \[N, K\]"):
        q.qgemm(a, 0, b[:, :2])
    with pytest.raises(gb.Error, match=r"\[0, 255\]"):
        q.qgemm(a, 300, b)
    with pytest.raises(gb.Error, match="one b_zero_point or N = 4"):
        q.qgemm(a, 0, b, [1, 2])
    with pytest.raises(gb.Error, match="reference, packed"):
        q.qgemm(a, 0, b, variant="fastest")


# --- qlinear ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("relu", [False, True])
def test_qlinear_equals_the_oracle(variant, per_channel, relu, rng):
    m, n, k = 9, 13, 70
    x = rng.integers(0, 256, (m, k), dtype=np.uint8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    x_scale, x_zero, out_scale, out_zero = 0.02, 131, 0.3, 77
    w_scale = rng.uniform(0.001, 0.01, n) if per_channel else 0.004
    w_zero = rng.integers(-20, 20, n) if per_channel else 0
    bias = rng.normal(0, 1, n).astype(np.float32)
    got = q.qlinear(x, x_scale, x_zero, w, w_scale, bias, out_scale, out_zero, relu=relu, variant=variant,
                    w_zero_point=w_zero)
    expected = requantize_oracle(acc_oracle(x, x_zero, w, w_zero), x_scale, w_scale, bias, out_scale, out_zero, relu)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


# --- qconv2d ----------------------------------------------------------------------------------------------

CONV_CASES = [
    # (N, C, H, W, OC, KH, KW, stride, padding (t, l, b, r), dilation, groups)
    (1, 8, 9, 10, 12, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (2, 6, 8, 7, 9, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 3),
    (1, 5, 12, 11, 4, 3, 2, (1, 2), (0, 2, 1, 0), (2, 1), 1),
    (1, 16, 7, 7, 16, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 16),    # depthwise
    (1, 70, 5, 6, 33, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),     # 1x1
    (1, 3, 6, 6, 5, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),
]


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_qconv2d_equals_the_oracle(algo, case, rng):
    n, c, h, wd, oc, kh, kw, stride, padding, dilation, groups = CONV_CASES[case]
    x = rng.integers(0, 256, (n, c, h, wd), dtype=np.uint8)
    w = rng.integers(-128, 128, (oc, c // groups, kh, kw), dtype=np.int8)
    x_scale, x_zero, out_scale, out_zero = 0.03, int(rng.choice([0, 255, 100])), 0.5, 90
    w_scale = rng.uniform(0.001, 0.01, oc)
    w_zero = rng.integers(-128, 128, oc)
    bias = rng.normal(0, 2, oc).astype(np.float32)
    acc = conv_acc_oracle(x, x_zero, w, w_zero, stride, padding, dilation, groups)
    flat = acc.transpose(0, 2, 3, 1).reshape(-1, oc)
    for relu in (False, True):
        expected = requantize_oracle(flat, x_scale, w_scale, bias, out_scale, out_zero, relu)
        expected = expected.reshape(n, acc.shape[2], acc.shape[3], oc).transpose(0, 3, 1, 2)
        for variant in (["best"] if algo == "direct" else VARIANTS):
            got = q.qconv2d(x, x_scale, x_zero, w, w_scale, bias, out_scale, out_zero, stride=stride, padding=padding,
                            dilation=dilation, groups=groups, relu=relu, algo=algo, variant=variant, w_zero_point=w_zero)
            np.testing.assert_array_equal(got, expected, err_msg=f"{algo} on {variant}, relu {relu}")


def test_qconv2d_rejects_bad_input():
    x = np.zeros((1, 4, 5, 5), np.uint8)
    w = np.zeros((6, 4, 3, 3), np.int8)
    with pytest.raises(gb.Error, match="int8"):
        q.qconv2d(x, 0.1, 0, w.astype(np.uint8), 0.1)
    with pytest.raises(gb.Error, match="qconv2d"):
        q.qconv2d(x, 0.1, 0, w[:, :3], 0.1)
    with pytest.raises(gb.Error, match="6 channels"):
        q.qconv2d(x, 0.1, 0, w, [0.1, 0.2])
    with pytest.raises(gb.Error, match="direct, im2col, indirect"):
        q.qconv2d(x, 0.1, 0, w, 0.1, algo="winograd")
    assert q.qconv_algorithms() == ["direct", "im2col", "indirect"]
