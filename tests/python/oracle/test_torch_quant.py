"""PyTorch as the oracle of lesson 23's affine map and its parameters (lib/quant/src/qparams.cpp,
calibrate.cpp): gb.quant.quantize / dequantize give torch.quantize_per_tensor / quantize_per_channel's
codes and values bit for bit (quint8 and qint8; many scales and zero points; exact ties x = (k + 1/2) S;
values far outside the grid; per channel along axis 0 and 1), choose_qparams gives the scale (to
float32 precision: torch computes in float32, glassbox in double) and the zero point (exactly) of
torch.ao.quantization's MinMaxObserver and PerChannelMinMaxObserver, and gb.quant.Observer's moving
average follows MovingAverageMinMaxObserver over several batches. Skipped without torch.

Not compared: |x / S| >= 2^63, where torch converts a float beyond int64 to an integer (undefined
behaviour in C++; on x86 it gives qmin for x = +1e30 or +inf), while glassbox saturates to qmax.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.ao.quantization import (  # noqa: E402
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    PerChannelMinMaxObserver,
)

import glassbox as gb  # noqa: E402

TORCH_DTYPE = {"uint8": torch.quint8, "int8": torch.qint8}
QRANGE = {"uint8": (0, 255), "int8": (-128, 127)}


def random_map(rng, dtype):
    scale = float(np.exp(rng.uniform(-12.0, 4.0)))
    lo, hi = QRANGE[dtype]
    return scale, int(rng.integers(lo, hi + 1))


def values_for(rng, scale, zero_point, n=600):
    """Values around the grid: inside, at exact ties (k + 1/2) S, and far outside (up to 1e9 steps)."""
    inside = rng.uniform(-300.0, 300.0, n) * scale
    k = rng.integers(-300, 300, n).astype(np.float64)
    ties = (k + 0.5) * scale
    far = rng.choice([-1.0, 1.0], n) * np.exp(rng.uniform(0.0, np.log(1e9), n)) * scale
    special = np.array([0.0, -0.0, scale * (0 - zero_point), 1e-30, -1e-30])
    return np.concatenate([inside, ties, far, special]).astype(np.float32)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_quantize_per_tensor_matches_torch_code_for_code(dtype):
    rng = np.random.default_rng(23)
    for _ in range(150):
        scale, zp = random_map(rng, dtype)
        x = values_for(rng, scale, zp)
        theirs = torch.quantize_per_tensor(torch.from_numpy(x), scale, zp, TORCH_DTYPE[dtype])
        ours = gb.quant.quantize(x, scale, zp, dtype=dtype)
        assert ours.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ours, theirs.int_repr().numpy(), err_msg=f"S={scale} Z={zp}")
        np.testing.assert_array_equal(gb.quant.dequantize(ours, scale, zp), theirs.dequantize().numpy())


def test_exact_ties_round_half_to_even_like_torch():
    # S a power of two: x / S is exact, so these are true ties; torch rounds them to even.
    x = (np.arange(-20, 20) + 0.5).astype(np.float32) * np.float32(0.25)
    for dtype in ("uint8", "int8"):
        zp = 100 if dtype == "uint8" else 3
        theirs = torch.quantize_per_tensor(torch.from_numpy(x), 0.25, zp, TORCH_DTYPE[dtype]).int_repr().numpy()
        np.testing.assert_array_equal(gb.quant.quantize(x, 0.25, zp, dtype=dtype), theirs)
        assert np.all((theirs.astype(int) - zp) % 2 == 0)  # every tie went to an even code (before Z)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_quantize_per_channel_matches_torch(dtype, axis):
    rng = np.random.default_rng(24)
    for shape in [(4, 5), (3, 6, 2, 2), (7, 3, 5)]:
        x = rng.standard_normal(shape).astype(np.float32) * np.float32(rng.uniform(0.1, 10.0))
        ax = axis % len(shape)
        channels = shape[ax]
        maps = [random_map(rng, dtype) for _ in range(channels)]
        scales = np.array([m[0] * 1e-2 + 1e-3 for m in maps])
        zps = np.array([m[1] for m in maps], dtype=np.int64)
        x[tuple(0 for _ in shape)] = np.float32(1e8)  # far outside every grid
        theirs = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales), torch.from_numpy(zps), ax,
                                            TORCH_DTYPE[dtype])
        ours = gb.quant.quantize(x, scales, zps, dtype=dtype, axis=axis)
        np.testing.assert_array_equal(ours, theirs.int_repr().numpy())
        np.testing.assert_array_equal(gb.quant.dequantize(ours, scales, zps, axis=axis), theirs.dequantize().numpy())


def torch_minmax(x, dtype, symmetric):
    obs = MinMaxObserver(dtype=TORCH_DTYPE[dtype],
                         qscheme=torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine,
                         reduce_range=False)
    obs(torch.from_numpy(x))
    scale, zp = obs.calculate_qparams()
    return float(scale), int(zp)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_choose_qparams_matches_min_max_observer(dtype, symmetric):
    rng = np.random.default_rng(25)
    cases = [rng.standard_normal(200) * rng.uniform(0.01, 50.0) + rng.uniform(-20.0, 20.0) for _ in range(300)]
    cases += [np.array([-1.0, 0.0, 0.5, 2.0]), np.zeros(5), np.full(4, 3.0), np.full(4, -2.5), np.array([1e-12, 2e-12])]
    for values in cases:
        x = values.astype(np.float32)
        scale, zp = torch_minmax(x, dtype, symmetric)
        ours_scale, ours_zp = gb.quant.choose_qparams(float(x.min()), float(x.max()), dtype=dtype, symmetric=symmetric)
        assert ours_scale == pytest.approx(scale, rel=1e-6), (x.min(), x.max())
        assert ours_zp == zp, (x.min(), x.max(), scale)
        # the tensor-level helper reads the same min and max
        assert gb.quant.qparams(x, dtype=dtype, symmetric=symmetric) == (ours_scale, ours_zp)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_per_channel_qparams_match_per_channel_min_max_observer(dtype, symmetric, axis):
    rng = np.random.default_rng(26)
    for _ in range(20):
        w = (rng.standard_normal((6, 4, 3, 3)) * rng.uniform(0.01, 3.0, (6, 1, 1, 1)) + 0.1).astype(np.float32)
        obs = PerChannelMinMaxObserver(ch_axis=axis, dtype=TORCH_DTYPE[dtype],
                                       qscheme=torch.per_channel_symmetric if symmetric else torch.per_channel_affine,
                                       reduce_range=False)
        obs(torch.from_numpy(w))
        scales, zps = obs.calculate_qparams()
        ours_scales, ours_zps = gb.quant.qparams(w, dtype=dtype, symmetric=symmetric, axis=axis)
        np.testing.assert_allclose(ours_scales, scales.numpy().astype(np.float64), rtol=1e-6)
        np.testing.assert_array_equal(ours_zps, zps.numpy())
        # ... and quantizing with them is torch.quantize_per_channel
        theirs = torch.quantize_per_channel(torch.from_numpy(w), scales.double(), zps, axis, TORCH_DTYPE[dtype])
        np.testing.assert_array_equal(gb.quant.quantize(w, scales.numpy(), zps.numpy(), dtype=dtype, axis=axis),
                                      theirs.int_repr().numpy())


@pytest.mark.parametrize("constant", [0.01, 0.3])
def test_moving_average_follows_moving_average_min_max_observer(constant):
    rng = np.random.default_rng(27)
    obs = MovingAverageMinMaxObserver(averaging_constant=constant, dtype=torch.quint8, reduce_range=False)
    ours = gb.quant.Observer("moving_average", averaging_constant=constant)
    for b in range(12):
        x = (rng.standard_normal(256) * (1.0 + b) + 0.3 * b).astype(np.float32)
        obs(torch.from_numpy(x))
        ours.observe(x)
        assert ours.min == pytest.approx(float(obs.min_val), rel=1e-6, abs=1e-6)
        assert ours.max == pytest.approx(float(obs.max_val), rel=1e-6, abs=1e-6)
    scale, zp = obs.calculate_qparams()
    ours_scale, ours_zp = gb.quant.choose_qparams(float(obs.min_val), float(obs.max_val), dtype="uint8")
    assert ours_scale == pytest.approx(float(scale), rel=1e-6)
    assert ours_zp == int(zp)
    assert ours.batches == 12
