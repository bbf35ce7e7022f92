"""Shared helpers for the glassbox pytest suite: NumPy is the oracle.

random_operand() makes a glassbox tensor together with the NumPy array of the values it should hold,
in a random memory layout (contiguous, transposed, sliced with steps, broadcast with stride 0, made
on the NumPy side and wrapped without a copy, or made with glassbox's own views), so every op is
checked on the layouts a student will meet, not only on contiguous memory.
"""
import numpy as np
import pytest

import glassbox as gb

DTYPES = {"f32": np.float32, "f64": np.float64, "i8": np.int8, "u8": np.uint8, "i32": np.int32, "i64": np.int64}
INT_DTYPES = ["i8", "u8", "i32", "i64"]
FLOAT_DTYPES = ["f32", "f64"]

LAYOUTS = ["contiguous", "np_transposed", "gb_permuted", "np_strided", "gb_strided", "gb_broadcast"]


@pytest.fixture
def rng(request):
    # One seed per test (stable across runs and machines): the node id names the test and its parameters.
    seed = sum(request.node.nodeid.encode()) * 7919 % (2**32)
    return np.random.default_rng(seed)


def random_values(rng, shape, dtype, small=None):
    """Random values of a glassbox dtype name. Integers are sometimes small (so that comparisons and
    argmax meet ties) and sometimes over the full range (so that arithmetic wraps around)."""
    np_dtype = DTYPES[dtype]
    if small is None:
        small = rng.random() < 0.6
    if dtype in FLOAT_DTYPES:
        values = rng.standard_normal(shape) * (3 if small else 1000)
        if small:
            values = np.round(values * 4) / 4  # ties and exact zeros now and then
        return np.array(values, dtype=np_dtype)  # an array even for shape ()
    info = np.iinfo(np_dtype)
    if small:
        low, high = max(info.min, -5), min(info.max, 5)
    else:
        low, high = info.min, info.max
    return np.array(rng.integers(low, high, size=shape, endpoint=True, dtype=np_dtype), dtype=np_dtype)


def random_shape(rng, max_ndim=4, max_size=5, min_ndim=0):
    ndim = int(rng.integers(min_ndim, max_ndim + 1))
    return tuple(int(s) for s in rng.integers(1, max_size + 1, size=ndim))


def broadcast_pair(rng, max_ndim=4, max_size=4):
    """Two shapes that broadcast: suffixes of one output shape, some sizes replaced by 1."""
    out = random_shape(rng, max_ndim, max_size)
    shapes = []
    for _ in range(2):
        keep = int(rng.integers(0, len(out) + 1))
        shape = list(out[len(out) - keep:])
        for k in range(len(shape)):
            if rng.random() < 0.3:
                shape[k] = 1
        shapes.append(tuple(shape))
    return shapes[0], shapes[1]


def incompatible_pair(rng):
    """Two shapes that do not broadcast (some aligned axis has different sizes, neither 1)."""
    while True:
        a, b = random_shape(rng, 4, 5, min_ndim=1), random_shape(rng, 4, 5, min_ndim=1)
        try:
            np.broadcast_shapes(a, b)
        except ValueError:
            return a, b


def layout_of(rng, values, layout=None):
    """A glassbox tensor holding `values` (a NumPy array) in a random layout, plus its NumPy reference
    (the values themselves, or what broadcasting made of them)."""
    layout = layout or LAYOUTS[int(rng.integers(len(LAYOUTS)))]
    shape, ndim = values.shape, values.ndim
    if layout == "contiguous" or ndim == 0:
        return gb.tensor(values.copy()), values
    if layout in ("np_transposed", "gb_permuted"):
        perm = [int(p) for p in rng.permutation(ndim)]
        inverse = [int(i) for i in np.argsort(perm)]
        base = np.ascontiguousarray(values.transpose(perm))
        if layout == "np_transposed":
            return gb.tensor(base.transpose(inverse), copy=False), values
        return gb.tensor(base).permute(*inverse), values
    if layout in ("np_strided", "gb_strided"):
        steps = [int(s) for s in rng.integers(1, 4, size=ndim)]
        starts = [int(s) for s in rng.integers(0, 3, size=ndim)]
        big = np.zeros([st + n * sp for n, st, sp in zip(shape, starts, steps)], dtype=values.dtype)
        index = tuple(slice(st, st + n * sp, sp) for n, st, sp in zip(shape, starts, steps))
        big[index] = values
        if layout == "np_strided":
            return gb.tensor(big[index], copy=False), values
        t = gb.tensor(big)
        for axis, (n, st, sp) in enumerate(zip(shape, starts, steps)):
            t = t.slice(axis, st, st + n * sp, sp)
        return t, values
    if layout == "gb_broadcast":
        # Stretch a random subset of axes from size 1: stride 0, the same element read again.
        small_shape = tuple(1 if rng.random() < 0.5 else n for n in shape)
        small = np.ascontiguousarray(values[tuple(slice(0, m) for m in small_shape)])
        return gb.tensor(small).broadcast_to(shape), np.broadcast_to(small, shape)
    raise ValueError(layout)


def random_operand(rng, shape, dtype, layout=None, small=None):
    return layout_of(rng, random_values(rng, shape, dtype, small), layout)


def as_np(t):
    """The tensor's values as a NumPy array (a view, no copy)."""
    assert isinstance(t, gb.Tensor)
    return np.asarray(t)


def assert_same(t, expected, dtype=None):
    """t (a glassbox Tensor) has expected's shape, the given dtype and exactly its values (NaN == NaN)."""
    got = as_np(t)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    if dtype is not None:
        assert t.dtype == dtype
        assert got.dtype == DTYPES[dtype]
    np.testing.assert_array_equal(got, expected)
