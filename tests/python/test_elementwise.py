"""Elementwise ops and comparisons match NumPy: broadcasting, every dtype, non-contiguous inputs.

Integer semantics (lib/core/include/gb/core/ops.hpp): both operands have one dtype, arithmetic wraps
around like NumPy, division floors like NumPy's //, and an integer division by zero raises.
Comparisons give u8 (0/1) where NumPy gives bool.
"""
import numpy as np
import pytest

import glassbox as gb
from conftest import DTYPES, FLOAT_DTYPES, assert_same, broadcast_pair, incompatible_pair, random_operand

CASES = 35  # per (op, dtype): 6 dtypes x 35 = 210 randomized cases per op

ARITHMETIC = {
    "add": (gb.add, np.add),
    "sub": (gb.sub, np.subtract),
    "mul": (gb.mul, np.multiply),
    "div": (gb.div, None),  # true division for floats, floor division for integers
    "maximum": (gb.maximum, np.maximum),
    "minimum": (gb.minimum, np.minimum),
}
COMPARISONS = {
    "eq": (gb.eq, np.equal),
    "ne": (gb.ne, np.not_equal),
    "lt": (gb.lt, np.less),
    "le": (gb.le, np.less_equal),
    "gt": (gb.gt, np.greater),
    "ge": (gb.ge, np.greater_equal),
}


def numpy_div(a, b):
    return np.true_divide(a, b).astype(a.dtype) if a.dtype.kind == "f" else np.floor_divide(a, b)


def no_zeros(t, ref):
    """Integer divisors: replace zeros by 1 (division by zero is tested on its own)."""
    ref = np.where(ref == 0, np.ones_like(ref), ref)
    return gb.tensor(ref.copy()), ref


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", list(ARITHMETIC))
def test_arithmetic_matches_numpy(rng, name, dtype):
    gb_op, np_op = ARITHMETIC[name]
    np_op = np_op or numpy_div
    for _ in range(CASES):
        shape_a, shape_b = broadcast_pair(rng)
        a, ra = random_operand(rng, shape_a, dtype)
        b, rb = random_operand(rng, shape_b, dtype)
        if name == "div" and dtype not in FLOAT_DTYPES:
            b, rb = no_zeros(b, rb)
        with np.errstate(all="ignore"):
            expected = np_op(ra, rb)
        result = gb_op(a, b)
        assert_same(result, expected, dtype)
        assert result.is_contiguous()


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_match_numpy(rng, name, dtype):
    gb_op, np_op = COMPARISONS[name]
    for _ in range(CASES):
        shape_a, shape_b = broadcast_pair(rng)
        a, ra = random_operand(rng, shape_a, dtype, small=True)  # small values: equal pairs happen
        b, rb = random_operand(rng, shape_b, dtype, small=True)
        assert_same(gb_op(a, b), np_op(ra, rb).astype(np.uint8), "u8")


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_neg_matches_numpy(rng, dtype):
    for _ in range(CASES):
        a, ra = random_operand(rng, tuple(rng.integers(1, 5, size=rng.integers(0, 4))), dtype)
        with np.errstate(all="ignore"):
            assert_same(gb.neg(a), np.negative(ra), dtype)
        assert_same(-a, np.negative(ra), dtype)


def test_integer_wraparound_like_numpy():
    i8 = np.array([127, -128, 100, -100], np.int8)
    assert_same(gb.add(gb.tensor(i8), gb.tensor(i8)), i8 + i8, "i8")
    assert_same(gb.mul(gb.tensor(i8), gb.tensor(i8)), i8 * i8, "i8")
    assert_same(gb.neg(gb.tensor(i8)), -i8, "i8")
    u8 = np.array([0, 1, 255], np.uint8)
    assert_same(gb.sub(gb.tensor(u8), gb.tensor(np.array([1], np.uint8))), u8 - np.uint8(1), "u8")
    big = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min], np.int64)
    with np.errstate(all="ignore"):
        assert_same(gb.add(gb.tensor(big), gb.tensor(np.array([1], np.int64))), big + 1, "i64")


def test_integer_division_floors_like_numpy():
    a = np.array([7, -7, 7, -7, 0, 1, -1], np.int32)
    b = np.array([2, 2, -2, -2, 3, -3, 3], np.int32)
    assert_same(gb.div(gb.tensor(a), gb.tensor(b)), a // b, "i32")
    for t in (np.int8, np.int32, np.int64):  # MIN // -1 wraps to MIN, as in NumPy
        m = np.array([np.iinfo(t).min], t)
        with np.errstate(all="ignore"):
            assert_same(gb.div(gb.tensor(m), gb.tensor(np.array([-1], t))), np.floor_divide(m, np.array([-1], t)))


@pytest.mark.parametrize("dtype", ["i8", "u8", "i32", "i64"])
def test_integer_division_by_zero_raises(dtype):
    a = gb.tensor(np.array([1, 2, 3], DTYPES[dtype]))
    b = gb.tensor(np.array([1, 0, 1], DTYPES[dtype]))
    with pytest.raises(gb.Error) as info:
        gb.div(a, b)
    assert info.value.op == "div"
    assert "zero" in str(info.value)


def test_float_division_by_zero_is_ieee():
    a = gb.tensor(np.array([1.0, -1.0, 0.0], np.float32))
    b = gb.tensor(np.zeros(3, np.float32))
    with np.errstate(all="ignore"):
        assert_same(a / b, np.array([1.0, -1.0, 0.0], np.float32) / np.float32(0), "f32")


def test_nan_propagates_through_maximum_and_minimum():
    a = np.array([np.nan, 1.0, 2.0], np.float64)
    b = np.array([0.0, np.nan, 1.0], np.float64)
    assert_same(gb.maximum(gb.tensor(a), gb.tensor(b)), np.maximum(a, b), "f64")
    assert_same(gb.minimum(gb.tensor(a), gb.tensor(b)), np.minimum(a, b), "f64")
    assert_same(gb.eq(gb.tensor(a), gb.tensor(a)), (a == a).astype(np.uint8), "u8")


def test_operators_and_python_scalars(rng):
    a, ra = random_operand(rng, (3, 4), "f32")
    b, rb = random_operand(rng, (4,), "f32")
    assert_same(a + b, ra + rb)
    assert_same(a - b, ra - rb)
    assert_same(a * b, ra * rb)
    assert_same(a / b, ra / rb)
    assert_same(a + 1, ra + np.float32(1), "f32")  # a Python number takes the tensor's dtype
    assert_same(2 * a, np.float32(2) * ra, "f32")
    assert_same(1 - a, np.float32(1) - ra, "f32")
    assert_same(a < 0.5, (ra < np.float32(0.5)).astype(np.uint8), "u8")
    assert_same(a == a, np.ones((3, 4), np.uint8), "u8")
    i = gb.tensor(np.arange(6, dtype=np.int32))
    assert_same(i + 2, np.arange(6, dtype=np.int32) + 2, "i32")
    assert_same(i / 4, np.arange(6, dtype=np.int32) // 4, "i32")
    # NumPy arrays mix in on either side: they are wrapped, and the result is a Tensor.
    assert isinstance(rb + a, gb.Tensor)
    assert_same(ra + b, ra + rb)


def test_scalar_that_the_dtype_cannot_hold_raises():
    i = gb.tensor(np.arange(4, dtype=np.int32))
    with pytest.raises(gb.Error, match="i32"):
        i + 0.5  # no silent promotion (ops.hpp): convert with .to("f64")
    with pytest.raises(gb.Error, match="u8"):
        gb.tensor(np.arange(4, dtype=np.uint8)) + 300
    assert_same(i.to("f64") + 0.5, np.arange(4) + 0.5, "f64")


def test_mixed_dtypes_raise():
    with pytest.raises(gb.Error) as info:
        gb.add(gb.tensor(np.ones(3, np.float32)), gb.tensor(np.ones(3, np.float64)))
    assert "f32" in str(info.value) and "f64" in str(info.value)


@pytest.mark.parametrize("name", list(ARITHMETIC) + list(COMPARISONS))
def test_mismatched_shapes_raise_naming_both_shapes(rng, name):
    gb_op = {**ARITHMETIC, **COMPARISONS}[name][0]
    for _ in range(10):
        shape_a, shape_b = incompatible_pair(rng)
        a = gb.tensor(np.ones(shape_a, np.float32))
        b = gb.tensor(np.ones(shape_b, np.float32))
        with pytest.raises(gb.Error) as info:
            gb_op(a, b)
        e = info.value
        message = str(e)
        sa = "[" + ", ".join(map(str, shape_a)) + "]"
        sb = "[" + ", ".join(map(str, shape_b)) + "]"
        assert sa in message and sb in message, message
        assert e.op == name
        assert sa in e.given and sb in e.given
        assert e.expected
        assert message == f"{e.op}: expected {e.expected}, given {e.given}"


def test_broadcast_shapes_matches_numpy(rng):
    for _ in range(200):
        a, b = broadcast_pair(rng)
        assert gb.broadcast_shapes(a, b) == np.broadcast_shapes(a, b)
    for _ in range(50):
        a, b = incompatible_pair(rng)
        with pytest.raises(gb.Error):
            gb.broadcast_shapes(a, b)
