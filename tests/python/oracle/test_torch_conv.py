"""PyTorch as the oracle of lessons 20-22 (DESIGN.md section 7): every convolution algorithm of
gb.kernels.conv2d equals torch.nn.functional.conv2d on randomized shapes with padding (asymmetric
through F.pad), stride, dilation, groups and depthwise; max_pool2d and avg_pool2d equal PyTorch's with
padding, ceil_mode and count_include_pad; on one, two and three threads. Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import glassbox as gb  # noqa: E402

ALGOS = gb.kernels.conv_algorithms() + ["best"]


def torch_conv(x, w, b, stride, padding, dilation, groups):
    top, left, bottom, right = padding
    xt = F.pad(torch.from_numpy(x), (left, right, top, bottom))  # F.pad: last axis first
    bt = None if b is None else torch.from_numpy(b)
    return F.conv2d(xt, torch.from_numpy(w), bt, stride=stride, dilation=dilation, groups=groups).numpy()


@pytest.mark.parametrize("algo", ALGOS)
def test_conv2d_agrees_with_torch(algo):
    rng = np.random.default_rng(len(algo) * 31 + 7)
    winograd = algo.startswith("winograd")
    for case in range(40):
        groups = int(rng.integers(1, 4))
        depthwise = case % 5 == 0
        icg = 1 if depthwise else int(rng.integers(1, 7))
        ocg = int(rng.integers(1, 3)) if depthwise else int(rng.integers(1, 7))
        if depthwise:
            groups = int(rng.integers(2, 9))
        k = (3, 3) if winograd else tuple(int(v) for v in rng.integers(1, 6, size=2))
        stride = (1, 1) if winograd else tuple(int(v) for v in rng.integers(1, 4, size=2))
        dilation = (1, 1) if winograd else tuple(int(v) for v in rng.integers(1, 3, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 3, size=4))
        h, w = int(rng.integers(3, 20)), int(rng.integers(3, 20))
        if h + padding[0] + padding[2] < dilation[0] * (k[0] - 1) + 1 or w + padding[1] + padding[3] < dilation[1] * (k[1] - 1) + 1:
            continue
        x = rng.standard_normal((int(rng.integers(1, 3)), icg * groups, h, w)).astype(np.float32)
        wt = (rng.standard_normal((ocg * groups, icg) + k) / np.sqrt(icg * k[0] * k[1])).astype(np.float32)
        b = rng.standard_normal(ocg * groups).astype(np.float32) if case % 2 else None
        threads = case % 3 + 1  # one thread, and bands of rows (or whole images) on two and three
        got = gb.kernels.conv2d(x, wt, b, stride=stride, padding=padding, dilation=dilation, groups=groups, algo=algo,
                                threads=threads)
        expected = torch_conv(x, wt, b, stride, padding, dilation, groups)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{algo} x{x.shape} w{wt.shape} s{stride} p{padding} d{dilation} g{groups} "
                                           f"threads {threads}")


def test_winograd_error_on_a_resnet_layer_is_small():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 64, 28, 28)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) / 24).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), padding=1).numpy()
    for algo, tol in (("winograd_2x2", 1e-4), ("winograd_4x4", 1e-3), ("im2col", 1e-4)):
        err = np.abs(gb.kernels.conv2d(x, w, padding=1, algo=algo) - expected).max()
        print(f"{algo}: max abs error vs float64 PyTorch {err:.3g}")
        assert err < tol


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_agrees_with_torch(ceil_mode):
    rng = np.random.default_rng(5 + ceil_mode)
    for _ in range(60):
        k = tuple(int(v) for v in rng.integers(1, 5, size=2))
        s = tuple(int(v) for v in rng.integers(1, 4, size=2))
        p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        x = rng.standard_normal((2, 3, int(rng.integers(5, 14)), int(rng.integers(5, 14)))).astype(np.float32)
        if any(x.shape[2 + a] + 2 * p[a] < d[a] * (k[a] - 1) + 1 for a in (0, 1)):
            continue  # the window does not fit: both libraries refuse
        xt = torch.from_numpy(x)
        np.testing.assert_array_equal(
            gb.kernels.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode),
            F.max_pool2d(xt, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode).numpy())
        for include in (True, False):
            np.testing.assert_allclose(
                gb.kernels.avg_pool2d(x, k, stride=s, padding=p, ceil_mode=ceil_mode, count_include_pad=include),
                F.avg_pool2d(xt, k, stride=s, padding=p, ceil_mode=ceil_mode, count_include_pad=include).numpy(),
                rtol=1e-6, atol=1e-6)
