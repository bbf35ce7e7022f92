"""PyTorch's quantized operators as the oracle of lib/quant's integer kernels (lessons 23-24).

gb.quant.qlinear and gb.quant.qconv2d are compared with torch.ops.quantized linear / conv2d (with and
without the fused ReLU) on the same uint8 / int8 codes, under every quantized engine this torch has
(qnnpack, fbgemm, onednn, x86). PyTorch requantizes in floating point (and fbgemm / onednn keep the
bias in float), we requantize in fixed point with an int32 bias, so an output may differ by one step:
we require |diff| <= 1 everywhere and most outputs equal. The int32 accumulators of gb.quant.qgemm have
no rounding at all and are compared EXACTLY with a NumPy int64 computation, for every variant.
Skipped when torch is missing.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

q = gb.quant
ENGINES = [e for e in ("qnnpack", "fbgemm", "onednn", "x86") if e in torch.backends.quantized.supported_engines]
VARIANTS = q.available_qgemm_variants()
MOST = 0.9  # the share of outputs that must match exactly (typically > 0.99)


@pytest.fixture
def engine(request):
    previous = torch.backends.quantized.engine
    torch.backends.quantized.engine = request.param
    yield request.param
    torch.backends.quantized.engine = previous


def codes(rng, shape, lo, hi, scale, zero, dtype):
    """Random floats quantized by torch: (the quantized tensor, its integer codes as NumPy)."""
    t = torch.from_numpy(rng.uniform(lo, hi, shape).astype(np.float32))
    qt = torch.quantize_per_tensor(t, scale, zero, dtype)
    return qt, qt.int_repr().numpy()


def weight_codes(rng, shape, per_channel):
    w = torch.from_numpy((rng.normal(0, 0.05, shape)).astype(np.float32))
    if per_channel:
        scales = torch.from_numpy(rng.uniform(0.0005, 0.002, shape[0]))
        qw = torch.quantize_per_channel(w, scales, torch.zeros(shape[0], dtype=torch.long), 0, torch.qint8)
        return qw, qw.int_repr().numpy(), scales.numpy()
    qw = torch.quantize_per_tensor(w, 0.001, 0, torch.qint8)
    return qw, qw.int_repr().numpy(), 0.001


def assert_close(ours, theirs, what):
    diff = np.abs(ours.astype(np.int32) - theirs.astype(np.int32))
    assert diff.max() <= 1, f"{what}: max |diff| {diff.max()}"
    assert (diff == 0).mean() >= MOST, f"{what}: only {(diff == 0).mean():.3f} of the outputs equal"


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("relu", [False, True])
def test_qlinear_agrees_with_torch(engine, per_channel, relu):
    rng = np.random.default_rng(17 + per_channel + 2 * relu)
    for m, n, k in [(1, 10, 64), (7, 13, 33), (32, 70, 300), (5, 3, 1)]:
        x_scale, x_zero, out_scale, out_zero = 0.02, int(rng.integers(0, 256)), 0.05, int(rng.integers(20, 200))
        qx, x = codes(rng, (m, k), -2.0, 2.0, x_scale, x_zero, torch.quint8)
        qw, w, w_scale = weight_codes(rng, (n, k), per_channel)
        bias = rng.normal(0, 0.5, n).astype(np.float32)
        packed = torch.ops.quantized.linear_prepack(qw, torch.from_numpy(bias))
        op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
        theirs = op(qx, packed, out_scale, out_zero).int_repr().numpy()
        for variant in VARIANTS:
            ours = q.qlinear(x, x_scale, x_zero, w, w_scale, bias, out_scale, out_zero, relu=relu, variant=variant)
            assert_close(ours, theirs, f"{engine} {m}x{n}x{k} {variant}")


CONV_CASES = [
    # (N, C, H, W, OC, K, stride, padding, dilation, groups)
    (1, 8, 12, 12, 16, 3, 1, 1, 1, 1),
    (2, 6, 9, 11, 9, 3, 2, 1, 1, 3),
    (1, 16, 10, 10, 16, 3, 1, 1, 1, 16),   # depthwise
    (1, 12, 9, 9, 8, 3, 1, 2, 2, 1),       # dilation 2
    (1, 32, 7, 7, 24, 1, 1, 0, 1, 1),      # 1x1
    (1, 3, 15, 15, 8, 5, 2, 2, 1, 1),
]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("algo", q.qconv_algorithms() + ["best"])
@pytest.mark.parametrize("relu", [False, True])
def test_qconv2d_agrees_with_torch(engine, algo, relu):
    rng = np.random.default_rng(len(algo) + 3 * relu)
    for n, c, h, w_, oc, k, stride, padding, dilation, groups in CONV_CASES:
        x_scale, x_zero, out_scale, out_zero = 0.03, int(rng.integers(0, 256)), 0.04, int(rng.integers(20, 200))
        qx, x = codes(rng, (n, c, h, w_), -2.0, 2.0, x_scale, x_zero, torch.quint8)
        qw, w, w_scale = weight_codes(rng, (oc, c // groups, k, k), per_channel=engine != "qnnpack" or groups == 1)
        bias = rng.normal(0, 0.3, oc).astype(np.float32)
        packed = torch.ops.quantized.conv2d_prepack(qw, torch.from_numpy(bias), [stride, stride], [padding, padding],
                                                    [dilation, dilation], groups)
        op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
        theirs = op(qx, packed, out_scale, out_zero).int_repr().numpy()
        ours = q.qconv2d(x, x_scale, x_zero, w, w_scale, bias, out_scale, out_zero, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, relu=relu, algo=algo)
        assert ours.shape == theirs.shape
        assert_close(ours, theirs, f"{engine} {algo} C={c} OC={oc} groups={groups}")


@pytest.mark.parametrize("variant", VARIANTS)
def test_int32_accumulators_equal_numpy_int64_exactly(variant):
    rng = np.random.default_rng(len(variant))
    for m, n, k in [(1, 1, 1), (5, 7, 3), (64, 64, 64), (100, 65, 513), (3, 200, 2049), (1, 1, q.qgemm_max_k())]:
        for a_zero in (0, 255, int(rng.integers(0, 256))):
            a = rng.integers(0, 256, (m, k), dtype=np.uint8)
            b = rng.integers(-128, 128, (n, k), dtype=np.int8)
            b_zero = rng.integers(-128, 128, n)
            expected = (a.astype(np.int64) - a_zero) @ (b.astype(np.int64) - b_zero[:, None]).T
            np.testing.assert_array_equal(q.qgemm(a, a_zero, b, b_zero, variant=variant), expected)
