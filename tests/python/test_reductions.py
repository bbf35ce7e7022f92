"""Reductions over random axes, with and without keepdim, match NumPy on every dtype and layout.

Dtype rules (ops.hpp): sum of integers accumulates in and returns i64; mean of integers returns f64
(floats keep their dtype); max keeps the dtype; argmax returns i64 and picks the first maximum.
"""
import numpy as np
import pytest

import glassbox as gb
from conftest import DTYPES, FLOAT_DTYPES, as_np, random_operand, random_shape

CASES = 35  # per dtype: 6 x 35 = 210 per reduction


def random_axes(rng, ndim):
    """None, one int (maybe negative) or a tuple of distinct axes (maybe negative)."""
    r = rng.random()
    if ndim == 0 or r < 0.2:
        return None
    if r < 0.55:
        return int(rng.integers(-ndim, ndim))
    count = int(rng.integers(1, ndim + 1))
    axes = [int(a) for a in rng.choice(ndim, size=count, replace=False)]
    return tuple(a - ndim if rng.random() < 0.3 else a for a in axes)


def close(got, expected, scale, rtol):
    got = np.asarray(got, np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=float(np.max(scale, initial=0)) * rtol + 1e-12)


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_sum_matches_numpy(rng, dtype):
    for _ in range(CASES):
        t, a = random_operand(rng, random_shape(rng, 4, 5), dtype)
        axes, keep = random_axes(rng, a.ndim), bool(rng.random() < 0.5)
        r = gb.sum(t, axes, keep)
        if dtype in FLOAT_DTYPES:
            expected = np.sum(a.astype(np.float64), axis=axes, keepdims=keep)
            scale = np.sum(np.abs(a.astype(np.float64)), axis=axes, keepdims=keep)
            assert r.dtype == dtype and as_np(r).shape == expected.shape
            close(as_np(r), expected, scale, 1e-6 if dtype == "f32" else 1e-13)
        else:
            expected = np.sum(a, axis=axes, keepdims=keep, dtype=np.int64)  # wraps like glassbox's i64
            assert r.dtype == "i64"
            np.testing.assert_array_equal(as_np(r), expected)
            assert as_np(r).shape == expected.shape


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_mean_matches_numpy(rng, dtype):
    for _ in range(CASES):
        t, a = random_operand(rng, random_shape(rng, 4, 5), dtype)
        axes, keep = random_axes(rng, a.ndim), bool(rng.random() < 0.5)
        r = t.mean(axes, keep)
        expected = np.mean(a.astype(np.float64), axis=axes, keepdims=keep)
        scale = np.mean(np.abs(a.astype(np.float64)), axis=axes, keepdims=keep)
        assert r.dtype == (dtype if dtype in FLOAT_DTYPES else "f64")
        assert as_np(r).shape == expected.shape
        close(as_np(r), expected, scale, 1e-6 if dtype == "f32" else 1e-12)


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_max_matches_numpy(rng, dtype):
    for _ in range(CASES):
        t, a = random_operand(rng, random_shape(rng, 4, 5), dtype)
        axes, keep = random_axes(rng, a.ndim), bool(rng.random() < 0.5)
        r = gb.max(t, axes, keep)
        assert r.dtype == dtype
        expected = np.max(a, axis=axes, keepdims=keep)
        assert as_np(r).shape == expected.shape
        np.testing.assert_array_equal(as_np(r), expected)


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_argmax_matches_numpy(rng, dtype):
    for _ in range(CASES):
        t, a = random_operand(rng, random_shape(rng, 4, 5, min_ndim=1), dtype, small=True)  # ties
        axis, keep = int(rng.integers(-a.ndim, a.ndim)), bool(rng.random() < 0.5)
        if rng.random() < 0.2:
            axis = None  # NumPy: the index into the flattened array
        r = gb.argmax(t, axis, keep)
        assert r.dtype == "i64"
        expected = np.argmax(a, axis=axis, keepdims=keep)
        assert as_np(r).shape == expected.shape
        np.testing.assert_array_equal(as_np(r), expected)


def test_reduction_examples():
    m = gb.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert gb.sum(m).item() == 15 and gb.sum(m).shape == ()
    assert as_np(gb.sum(m, 0)).tolist() == [3, 5, 7]
    assert as_np(gb.sum(m, 1, keepdim=True)).tolist() == [[3], [12]]
    assert as_np(gb.mean(m, 1)).tolist() == [1.0, 4.0]
    assert as_np(gb.max(m, (0, 1))).tolist() == 5
    assert as_np(gb.argmax(m, 1)).tolist() == [2, 2]
    u8 = gb.tensor(np.full(1000, 255, np.uint8))
    assert gb.sum(u8).item() == 255000  # accumulated in i64, no u8 wrap-around
    assert isinstance(gb.sum(u8).item(), int) and isinstance(gb.mean(u8).item(), float)


def test_reductions_of_empty_tensors():
    e = gb.tensor(np.zeros((0, 3), np.float32))
    np.testing.assert_array_equal(as_np(gb.sum(e, 0)), np.zeros(3, np.float32))
    with np.errstate(all="ignore"):
        assert np.isnan(gb.mean(e).item())
    with pytest.raises(gb.Error):
        gb.max(e, 0)
    with pytest.raises(gb.Error):
        gb.argmax(e, 0)


def test_bad_axes_raise():
    t = gb.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(gb.Error) as info:
        gb.sum(t, 2)
    assert info.value.op == "sum"
    with pytest.raises(gb.Error):
        gb.sum(t, (0, 0))  # repeated axes
    with pytest.raises(gb.Error):
        gb.mean(t, (1, -1))
    with pytest.raises(gb.Error):
        gb.argmax(t, -3)
