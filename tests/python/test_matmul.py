"""matmul matches NumPy: 2-D, 1-D operands (promoted, the added axis removed), batch axes that
broadcast, every dtype (integers wrap around like NumPy's), non-contiguous operands; a mismatch of the
inner dimensions raises naming both shapes."""
import numpy as np
import pytest

import glassbox as gb
from conftest import DTYPES, FLOAT_DTYPES, as_np, random_operand

CASES = 35  # per dtype: 210 in all


def random_matmul_shapes(rng):
    m, k, n = (int(x) for x in rng.integers(1, 6, size=3))
    kind = rng.random()
    if kind < 0.15:
        return (k,), (k, n)
    if kind < 0.3:
        return (m, k), (k,)
    if kind < 0.4:
        return (k,), (k,)
    if kind < 0.6:
        return (m, k), (k, n)
    # batched: leading axes broadcast (sizes of 1 stretched, missing axes added)
    batch = [int(x) for x in rng.integers(1, 4, size=rng.integers(1, 3))]
    ba = [1 if rng.random() < 0.3 else b for b in batch]
    bb = [1 if rng.random() < 0.3 else b for b in batch]
    if rng.random() < 0.3:
        ba = ba[1:]
    if rng.random() < 0.2:
        return tuple(ba) + (m, k), (k, n) if rng.random() < 0.5 else (k,)
    return tuple(ba) + (m, k), tuple(bb) + (k, n)


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_matmul_matches_numpy(rng, dtype):
    for _ in range(CASES):
        sa, sb = random_matmul_shapes(rng)
        a, ra = random_operand(rng, sa, dtype)
        b, rb = random_operand(rng, sb, dtype)
        r = gb.matmul(a, b)
        assert r.dtype == dtype
        if dtype in FLOAT_DTYPES:
            expected = np.matmul(ra.astype(np.float64), rb.astype(np.float64))
            scale = np.matmul(np.abs(ra.astype(np.float64)), np.abs(rb.astype(np.float64)))
            got = as_np(r)
            assert got.shape == expected.shape, (sa, sb)
            tol = 1e-6 if dtype == "f32" else 1e-13
            np.testing.assert_allclose(got.astype(np.float64), expected, rtol=0,
                                       atol=float(np.max(scale, initial=0)) * tol + 1e-12)
        else:
            with np.errstate(all="ignore"):
                expected = np.matmul(ra, rb)  # NumPy's integer matmul wraps in the dtype
            assert as_np(r).shape == expected.shape
            np.testing.assert_array_equal(as_np(r), expected)
        assert isinstance(a @ b, gb.Tensor)


def test_matmul_operator_and_dot_product():
    a = gb.tensor(np.arange(6, dtype=np.float64).reshape(2, 3))
    np.testing.assert_array_equal(as_np(a @ a.transpose()), [[5, 14], [14, 50]])
    v = gb.tensor(np.array([1, 2, 3], np.int64))
    dot = gb.matmul(v, v)
    assert dot.shape == () and dot.item() == 14


def test_matmul_mismatch_names_both_shapes(rng):
    cases = [((2, 3), (4, 5)), ((3,), (4,)), ((2, 2, 3), (3, 2, 1)), ((5,), (4, 2))]
    for sa, sb in cases:
        a, b = gb.tensor(np.ones(sa, np.float32)), gb.tensor(np.ones(sb, np.float32))
        with pytest.raises(gb.Error) as info:
            gb.matmul(a, b)
        message = str(info.value)
        for s in (sa, sb):
            assert "[" + ", ".join(map(str, s)) + "]" in message, message
        assert info.value.op == "matmul"
    with pytest.raises(gb.Error):
        gb.matmul(gb.scalar(1.0), gb.scalar(2.0))
