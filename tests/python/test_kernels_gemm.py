"""glassbox.kernels: every rung of the GEMM ladder against NumPy (odd shapes, transposed and strided
operands), the memory layouts against NumPy's transpose/pad, the recordings, and the errors."""
import numpy as np
import pytest

import glassbox as gb

SHAPES = [(1, 1, 1), (7, 33, 1), (33, 7, 257), (257, 33, 7), (1, 257, 33), (65, 64, 63)]


def operands(rng, m, k, n, kind):
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    if kind == "transposed":  # Fortran-order views: passed to C++ without a copy, as trans = True
        a = np.asfortranarray(a)
        b = np.ascontiguousarray(b.T).T
    elif kind == "strided":  # every other row and column of a bigger array
        a = np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)[::2, ::2]
        b = np.repeat(b, 3, axis=1)[:, ::3]
    return a, b


@pytest.mark.parametrize("variant", gb.kernels.available_variants())
@pytest.mark.parametrize("kind", ["contiguous", "transposed", "strided"])
def test_every_rung_matches_numpy(rng, variant, kind):
    for m, k, n in SHAPES:
        if variant == "naive" and m * k * n > 100_000 and kind != "contiguous":
            continue  # the naive rung is slow on purpose
        a, b = operands(rng, m, k, n, kind)
        got = gb.kernels.gemm(a, b, variant=variant, threads=2)
        want = a.astype(np.float64) @ b.astype(np.float64)
        assert got.shape == (m, n) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.sqrt(k), err_msg=f"{variant} {m}x{k}x{n} {kind}")


def test_ladder_names():
    names = gb.kernels.variants()
    assert names == ["naive", "ikj", "blocked", "packed", "micro", "avx2", "avx512", "threaded", "best"]
    available = gb.kernels.available_variants()
    assert set(available) <= set(names) and {"naive", "micro", "threaded", "best"} <= set(available)
    assert gb.kernels.best_variant() in available


def test_gemm_errors():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(gb.Error, match=r"\[2, 3\]"):
        gb.kernels.gemm(a, a)
    with pytest.raises(gb.Error, match="f64"):
        gb.kernels.gemm(a.astype(np.float64), a.T.astype(np.float64))
    with pytest.raises(gb.Error, match="fastest"):
        gb.kernels.gemm(a, a.T, variant="fastest")
    with pytest.raises(gb.Error, match="2-D"):
        gb.kernels.gemm(np.ones((2, 2, 2), np.float32), a)


@pytest.mark.parametrize("x", [4, 8, 16])
@pytest.mark.parametrize("c", [1, 5, 8, 17])
def test_blocked_layout_matches_numpy(rng, x, c):
    t = rng.standard_normal((2, c, 3, 4)).astype(np.float32)
    name = "NC4HW4" if x == 4 else f"NCHW{x}"
    blocked = gb.kernels.to_layout(t, "NCHW", name)
    # NumPy: pad C to a multiple of x, split it into (C/x, x), move the lanes last.
    blocks = -(-c // x)
    padded = np.zeros((2, blocks * x, 3, 4), np.float32)
    padded[:, :c] = t
    want = padded.reshape(2, blocks, x, 3, 4).transpose(0, 1, 3, 4, 2)
    np.testing.assert_array_equal(blocked, want)
    np.testing.assert_array_equal(gb.kernels.to_layout(blocked, name, "NCHW", channels=c), t)
    np.testing.assert_array_equal(gb.kernels.to_layout(t, "NCHW", "NHWC"), t.transpose(0, 2, 3, 1))
    flat = blocked.reshape(-1)
    for index in [(0, 0, 0, 0), (1, c - 1, 2, 3), (1, c // 2, 1, 2)]:
        assert flat[gb.kernels.offset(name, t.shape, index)] == t[index]


def test_layout_errors():
    with pytest.raises(gb.Error, match="4-D"):
        gb.kernels.to_layout(np.ones((2, 3, 4), np.float32), "NCHW", "NHWC")
    with pytest.raises(gb.Error, match="NCHW3"):
        gb.kernels.to_layout(np.ones((1, 1, 1, 1), np.float32), "NCHW", "NCHW3")


def test_recordings_are_dicts_and_deterministic():
    r1 = gb.kernels.record_gemm_blocking(6, 5, 4, (4, 2, 4, 2, 2))
    assert r1 == gb.kernels.record_gemm_blocking(6, 5, 4, (4, 2, 4, 2, 2))
    assert {s["id"] for s in r1["scenes"]} == {"A", "B", "C", "A_packed", "B_packed"}
    gb.trace.validate(r1)
    strip = gb.kernels.record_layout_strip((1, 6, 2, 2), x=4)
    gb.trace.validate(strip)
    assert sum(1 for s in strip["steps"] if s.get("level") == "element") == 2 * 2 * 2 * 4
