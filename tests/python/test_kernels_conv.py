"""gb.kernels.conv2d, max_pool2d, avg_pool2d and the convolution recordings (lessons 20-22), with NumPy
as the oracle: every algorithm equals a NumPy einsum convolution on random shapes with padding (also
asymmetric), stride, dilation and groups. PyTorch is compared in oracle/test_torch_conv.py."""
import numpy as np
import pytest

import glassbox as gb

ALGOS = gb.kernels.conv_algorithms()


def numpy_conv2d(x, w, b, stride, padding, dilation, groups):
    """The formula of conv.hpp in NumPy (float64): pad, take each tap's strided view, einsum per group."""
    (sh, sw), (dh, dw) = stride, dilation
    top, left, bottom, right = padding
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c, h, wd = xp.shape
    oc, icg, kh, kw = w.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    ocg = oc // groups
    y = np.zeros((n, oc, oh, ow))
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * icg:(g + 1) * icg, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                y[:, g * ocg:(g + 1) * ocg] += np.einsum("nchw,oc->nohw", patch, w[g * ocg:(g + 1) * ocg, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def random_case(rng, winograd):
    while True:
        groups = int(rng.integers(1, 4))
        icg, ocg = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        k = (3, 3) if winograd else tuple(int(v) for v in rng.integers(1, 5, size=2))
        stride = (1, 1) if winograd else tuple(int(v) for v in rng.integers(1, 4, size=2))
        dilation = (1, 1) if winograd else tuple(int(v) for v in rng.integers(1, 3, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 3, size=4))
        h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
        if h + padding[0] + padding[2] < dilation[0] * (k[0] - 1) + 1 or w + padding[1] + padding[3] < dilation[1] * (k[1] - 1) + 1:
            continue
        x = rng.standard_normal((int(rng.integers(1, 3)), icg * groups, h, w)).astype(np.float32)
        wt = rng.standard_normal((ocg * groups, icg) + k).astype(np.float32)
        b = rng.standard_normal(ocg * groups).astype(np.float32) if rng.random() < 0.5 else None
        return x, wt, b, stride, padding, dilation, groups


@pytest.mark.parametrize("algo", ALGOS + ["best"])
def test_every_algorithm_matches_numpy(algo):
    rng = np.random.default_rng(ALGOS.index(algo) if algo in ALGOS else 99)
    winograd = algo.startswith("winograd")
    for _ in range(25):
        x, w, b, stride, padding, dilation, groups = random_case(rng, winograd)
        got = gb.kernels.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, algo=algo)
        expected = numpy_conv2d(x, w, b, stride, padding, dilation, groups)
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-4 if algo == "winograd_4x4" else 1e-4)


def test_padding_forms_and_plan():
    x = np.arange(2 * 4 * 6, dtype=np.float32).reshape(1, 2, 4, 6)
    w = np.ones((3, 2, 3, 3), dtype=np.float32)
    a = gb.kernels.conv2d(x, w, padding=1)
    np.testing.assert_array_equal(a, gb.kernels.conv2d(x, w, padding=(1, 1)))
    np.testing.assert_array_equal(a, gb.kernels.conv2d(x, w, padding=(1, 1, 1, 1)))
    plan = gb.kernels.conv_plan(x.shape, w.shape, padding=1)
    assert plan["out_shape"] == [1, 3, 4, 6]
    assert plan["chosen"] in ALGOS
    assert plan["workspace_bytes"]["direct"] == 0
    assert plan["workspace_bytes"]["im2col"] == 4 * 18 * 24


def test_errors():
    x = np.zeros((1, 4, 8, 8), np.float32)
    w = np.zeros((4, 4, 3, 3), np.float32)
    with pytest.raises(gb.Error, match="stride 1"):
        gb.kernels.conv2d(x, w, stride=2, algo="winograd")
    with pytest.raises(gb.Error, match="groups"):
        gb.kernels.conv2d(x, w, groups=3)
    with pytest.raises(gb.Error, match="fft"):
        gb.kernels.conv2d(x, w, algo="fft")
    with pytest.raises(gb.Error):
        gb.kernels.max_pool2d(x, 2, padding=2)


def test_pooling_hand_cases():
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(gb.kernels.max_pool2d(x, 2)[0, 0], [[6, 8], [14, 16]])
    np.testing.assert_array_equal(gb.kernels.avg_pool2d(x, 2)[0, 0], [[3.5, 5.5], [11.5, 13.5]])
    assert gb.kernels.max_pool2d(x[:, :, :3, :3], 2, ceil_mode=True).shape == (1, 1, 2, 2)


def test_recordings_are_dicts_with_the_lessons_counts():
    rec = gb.kernels.record_winograd_tile(4)
    rows = [c["row"] for s in rec["steps"] for c in s["changes"] if c["kind"] == "add_row"]
    assert [r[1] for r in rows] == ["36", "144"]
    rec = gb.kernels.record_winograd_tile(2)
    rows = [c["row"] for s in rec["steps"] for c in s["changes"] if c["kind"] == "add_row"]
    assert [r[1] for r in rows] == ["16", "36"]
    rec = gb.kernels.record_indirection()
    edges = [c for s in rec["steps"] for c in s["changes"] if c["kind"] == "add_edge"]
    assert len(edges) == 16 * 9
    for name in ("record_sliding_window", "record_im2col", "record_spatial_pack"):
        rec = getattr(gb.kernels, name)()
        assert rec["steps"] and rec["scenes"]
