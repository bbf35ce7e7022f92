"""PyTorch as an oracle we did not write (DESIGN.md section 7): matmul and reductions of glassbox
agree with torch 1.13 on random shapes and non-contiguous layouts. Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

CASES = 100
TORCH = {"f32": torch.float32, "f64": torch.float64, "i32": torch.int32, "i64": torch.int64}


def pair(rng, shape, dtype):
    """The same values as a glassbox tensor (transposed view half the time) and a torch tensor."""
    if dtype.startswith("f"):
        values = rng.standard_normal(shape).astype(np.float32 if dtype == "f32" else np.float64)
    else:
        values = rng.integers(-50, 50, size=shape).astype(np.int32 if dtype == "i32" else np.int64)
    if len(shape) >= 2 and rng.random() < 0.5:
        base = np.ascontiguousarray(np.swapaxes(values, -1, -2))
        return gb.tensor(base).transpose(), torch.from_numpy(base.copy()).transpose(-1, -2)
    return gb.tensor(values.copy()), torch.from_numpy(values.copy())


def check(got, expected, dtype):
    got = np.asarray(got)
    expected = expected.numpy()
    assert got.shape == expected.shape
    if dtype.startswith("f"):
        tol = 1e-4 if dtype == "f32" else 1e-10
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", list(TORCH))
def test_matmul_agrees_with_torch(dtype):
    rng = np.random.default_rng(11)
    for _ in range(CASES):
        m, k, n = (int(x) for x in rng.integers(1, 7, size=3))
        batch = tuple(int(x) for x in rng.integers(1, 4, size=rng.integers(0, 3)))
        batch_b = tuple(1 if rng.random() < 0.3 else b for b in batch)
        a, ta = pair(rng, batch + (m, k), dtype)
        b, tb = pair(rng, batch_b + (k, n), dtype)
        check(gb.matmul(a, b), torch.matmul(ta, tb), dtype)
        v, tv = pair(rng, (k,), dtype)
        check(gb.matmul(a, v), torch.matmul(ta, tv), dtype)


@pytest.mark.parametrize("dtype", list(TORCH))
def test_reductions_agree_with_torch(dtype):
    rng = np.random.default_rng(12)
    for _ in range(CASES):
        shape = tuple(int(x) for x in rng.integers(1, 6, size=rng.integers(1, 5)))
        t, tt = pair(rng, shape, dtype)
        axis = int(rng.integers(-len(shape), len(shape)))
        keep = bool(rng.random() < 0.5)
        sum_expected = torch.sum(tt, dim=axis, keepdim=keep)  # torch: integer sums are int64 too
        check(gb.sum(t, axis, keep), sum_expected, dtype)
        if dtype.startswith("f"):
            check(gb.mean(t, axis, keep), torch.mean(tt, dim=axis, keepdim=keep), dtype)
        else:
            check(gb.mean(t, axis, keep), torch.mean(tt.double(), dim=axis, keepdim=keep), "f64")
        values, indices = torch.max(tt, dim=axis, keepdim=keep)
        check(gb.max(t, axis, keep), values, dtype)
        assert gb.argmax(t, axis, keep).dtype == "i64"
        # torch's argmax does not promise the first of equal maxima on every backend; check the value.
        idx = np.asarray(gb.argmax(t, axis, keepdim=True))
        picked = np.take_along_axis(np.asarray(t), idx, axis=axis)
        np.testing.assert_array_equal(picked, np.asarray(gb.max(t, axis, keepdim=True)))
