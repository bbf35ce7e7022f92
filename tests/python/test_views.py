"""Views (reshape, permute, transpose, slice, select, broadcast_to, squeeze, unsqueeze, indexing) equal
NumPy's views: same values, same strides (glassbox counts in elements, NumPy in bytes), and the same
memory: no copy is made, so a write through one side shows on the other."""
import numpy as np
import pytest

import glassbox as gb
from conftest import DTYPES, as_np, random_shape, random_values

CASES = 200


def assert_view_of(t, expected, base):
    """t equals the NumPy view `expected` (values and strides) and shares memory with `base`."""
    got = as_np(t)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    item = got.itemsize
    for k, n in enumerate(expected.shape):
        if n > 1 and got.size > 0:  # the stride of a size-1 axis is never used, and libraries pick it freely
            assert t.strides[k] * item == expected.strides[k], (k, t.strides, expected.strides)
            assert got.strides[k] == expected.strides[k]
    if got.size > 0:
        assert np.shares_memory(got, base)


def random_view(rng, t, a):
    """One random view op applied to both: (glassbox result, NumPy result, description)."""
    ndim = a.ndim
    ops = ["reshape", "broadcast_to", "unsqueeze", "squeeze_all"]
    if ndim >= 1:
        ops += ["permute", "slice", "select", "squeeze_axis"]
    if ndim >= 2:
        ops += ["transpose"]
    op = ops[int(rng.integers(len(ops)))]
    if op == "permute":
        perm = [int(p) for p in rng.permutation(ndim)]
        return t.permute(*perm), a.transpose(perm), op
    if op == "transpose":
        i, j = (int(x) for x in rng.integers(-ndim, ndim, size=2))
        return t.transpose(i, j), np.swapaxes(a, i, j), op
    if op == "slice":
        axis = int(rng.integers(-ndim, ndim))
        n = a.shape[axis]
        start, stop = (int(x) for x in rng.integers(-n - 2, n + 3, size=2))
        step = int(rng.integers(1, 4))
        index = [slice(None)] * ndim
        index[axis] = slice(start, stop, step)
        return t.slice(axis, start, stop, step), a[tuple(index)], f"{op}({axis}, {start}, {stop}, {step})"
    if op == "select":
        axis = int(rng.integers(-ndim, ndim))
        n = a.shape[axis]
        if n == 0:
            return t, a, "none"
        i = int(rng.integers(-n, n))
        index = [slice(None)] * ndim
        index[axis] = i
        return t.select(axis, i), a[tuple(index) + (Ellipsis,)], op  # `...`: a 0-d view, not a scalar
    if op == "broadcast_to":
        # New leading axes, and size-1 axes stretched.
        lead = tuple(int(x) for x in rng.integers(1, 4, size=rng.integers(0, 2)))
        shape = lead + tuple(int(rng.integers(1, 4)) if n == 1 else n for n in a.shape)
        return t.broadcast_to(shape), np.broadcast_to(a, shape), op
    if op == "unsqueeze":
        axis = int(rng.integers(-ndim - 1, ndim + 1))
        return t.unsqueeze(axis), np.expand_dims(a, axis), op
    if op == "squeeze_all":
        return t.squeeze(), np.squeeze(a), op
    if op == "squeeze_axis":
        ones = [k for k, n in enumerate(a.shape) if n == 1]
        if not ones:
            return t, a, "none"
        axis = ones[int(rng.integers(len(ones)))]
        return t.squeeze(axis), np.squeeze(a, axis), op
    if op == "reshape":
        if not a.flags.c_contiguous:
            return t, a, "none"  # reshape of non-contiguous views: test_reshape_when_numpy_can_view
        return reshape_both(rng, t, a)
    raise AssertionError(op)


def reshape_both(rng, t, a):
    # A random factorisation of numel, sometimes with a -1.
    if a.size == 0:
        shape = [1, 0] if rng.random() < 0.5 else [0]
        return t.reshape(*shape), a.reshape(shape), f"reshape{shape}"
    n, shape = a.size, []
    while n > 1 and len(shape) < 4:
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        d = divisors[int(rng.integers(len(divisors)))]
        shape.append(d)
        n //= d
    if n > 1:
        shape.append(n)
    if shape and rng.random() < 0.3:
        shape[int(rng.integers(len(shape)))] = -1
    return t.reshape(*shape), a.reshape(shape), f"reshape{shape}"


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_chains_of_views_match_numpy(rng, dtype):
    for _ in range(CASES // 6 + 1):
        base = random_values(rng, random_shape(rng, 4, 5), dtype)
        t, a = gb.tensor(base), base
        for _ in range(4):
            t, a, what = random_view(rng, t, a)
            assert_view_of(t, a, base)


@pytest.mark.parametrize("dtype", ["f32", "i64"])
def test_views_write_through(rng, dtype):
    """A view is not a copy: writing 7 through (NumPy's array of) a glassbox view changes exactly
    the elements of the base that the same NumPy view changes."""
    for _ in range(60):
        values = random_values(rng, random_shape(rng, 4, 5, min_ndim=1), dtype)
        ours, theirs = values.copy(), values.copy()
        t, a = gb.tensor(ours, copy=False), theirs
        for _ in range(3):
            t, a, _ = random_view(rng, t, a)
        if a.size == 0 or not a.flags.writeable or 0 in a.strides:
            continue  # broadcast views are read-only in NumPy
        as_np(t)[...] = 7
        a[...] = 7
        np.testing.assert_array_equal(ours, theirs)


def test_reshape_when_numpy_can_view(rng):
    """On non-contiguous tensors reshape succeeds exactly when NumPy can reshape without copying."""
    tried = viewed = 0
    for _ in range(CASES):
        shape = random_shape(rng, 4, 4, min_ndim=2)
        base = random_values(rng, shape, "f32")
        perm = [int(p) for p in rng.permutation(len(shape))]
        a, t = base.transpose(perm), gb.tensor(base).permute(*perm)
        if rng.random() < 0.5:
            steps = [int(s) for s in rng.integers(1, 3, size=a.ndim)]
            a = a[tuple(slice(None, None, s) for s in steps)]
            for axis, s in enumerate(steps):
                t = t.slice(axis, 0, t.shape[axis], s)
        choice = rng.random()
        if choice < 0.3:
            new_shape = [a.size]
        elif choice < 0.6:
            new_shape = [a.shape[0] * a.shape[1]] + list(a.shape[2:])
        else:
            new_shape = list(reversed(a.shape))
        r = a.reshape(new_shape)
        numpy_viewed = r.size <= 1 or np.shares_memory(r, base)
        tried += 1
        try:
            v = t.reshape(*new_shape)
        except gb.Error as e:
            assert not numpy_viewed, f"glassbox refused a reshape NumPy does as a view: {a.shape} {a.strides} -> {new_shape}: {e}"
            assert e.op == "reshape"
            continue
        viewed += 1
        np.testing.assert_array_equal(as_np(v), r)
        if v.numel > 1:
            assert np.shares_memory(as_np(v), base)
    assert 0 < viewed < tried


def test_getitem_matches_numpy_basic_indexing(rng):
    for _ in range(CASES):
        base = random_values(rng, random_shape(rng, 4, 5, min_ndim=1), "i32")
        t = gb.tensor(base)
        def keys(shape):
            key = []
            for n in shape:
                r = rng.random()
                if r < 0.3:
                    key.append(int(rng.integers(-n, n)))
                elif r < 0.8:
                    key.append(slice(int(rng.integers(-n - 1, n + 1)), int(rng.integers(-n - 1, n + 2)),
                                     int(rng.integers(1, 3))))
                elif r < 0.9:
                    key += [None, slice(None)]
                else:
                    key.append(slice(None))
            return key

        p = int(rng.integers(0, base.ndim + 1))
        key = keys(base.shape[:p])
        if rng.random() < 0.3:  # an Ellipsis, then keys for the last q axes
            q = int(rng.integers(0, base.ndim - p + 1))
            key += [Ellipsis] + keys(base.shape[base.ndim - q:])
        expected = base[tuple(key) + (() if Ellipsis in key else (Ellipsis,))]  # a view even when 0-d
        assert_view_of(t[tuple(key)], expected, base)


def test_transpose_and_broadcast_strides():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = gb.tensor(a)
    assert t.strides == (3, 1) and t.is_contiguous()
    tt = t.transpose()
    assert tt.shape == (3, 2) and tt.strides == (1, 3) and not tt.is_contiguous()
    b = gb.tensor(np.array([10, 20, 30], np.float32)).broadcast_to(2, 3)
    assert b.strides == (0, 1)
    nb = np.asarray(b)
    assert nb.strides == (0, 4)  # 0-stride views come out as 0-stride NumPy arrays
    np.testing.assert_array_equal(nb, np.broadcast_to(np.array([10, 20, 30], np.float32), (2, 3)))
    assert gb.strided_offset(0, [2, 3], [3, 1], [1, 2]) == 5
    assert gb.strided_offset(4, [3, 2], [1, 3], [2, 1]) == 9
    with pytest.raises(gb.Error):
        gb.strided_offset(0, [2, 3], [3, 1], [2, 0])


def test_copies_do_not_share(rng):
    base = random_values(rng, (3, 4), "f64")
    t = gb.tensor(base)
    assert t.contiguous().shares_storage_with(t)  # already contiguous: the same tensor
    tt = t.transpose()
    c = tt.contiguous()
    assert c.is_contiguous() and not c.shares_storage_with(t)
    np.testing.assert_array_equal(as_np(c), base.T)
    k = t.clone()
    assert not k.shares_storage_with(t)
    base[0, 0] = 123.0
    assert as_np(k)[0, 0] != 123.0 and as_np(t)[0, 0] == 123.0


@pytest.mark.parametrize("src", list(DTYPES))
@pytest.mark.parametrize("dst", list(DTYPES))
def test_to_dtype_matches_numpy_astype(rng, src, dst):
    values = random_values(rng, (4, 5), src, small=True)  # in range of every dtype
    if src in ("f32", "f64") and dst == "u8":
        values = np.abs(values)  # a negative float -> u8 is undefined in C and in NumPy
    t, ref = gb.tensor(values).transpose(), values.T
    assert_same = np.testing.assert_array_equal
    out = t.to(dst)
    assert out.dtype == dst
    assert_same(as_np(out), ref.astype(DTYPES[dst]))


def test_view_errors_name_the_op():
    t = gb.tensor(np.zeros((2, 3), np.float32))
    for call, op in [
        (lambda: t.reshape(4, 2), "reshape"),
        (lambda: t.permute(0, 0), "permute"),
        (lambda: t.select(0, 2), "select"),
        (lambda: t.squeeze(0), "squeeze"),
        (lambda: t.broadcast_to(3, 3), "broadcast_to"),
        (lambda: t.transpose(0, 5), "transpose"),
    ]:
        with pytest.raises(gb.Error) as info:
            call()
        assert info.value.op == op, (op, str(info.value))
        assert "[2, 3]" in str(info.value) or info.value.given, str(info.value)
