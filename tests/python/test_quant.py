"""gb.quant's numeric half with NumPy as the oracle (lib/quant: qparams, fixed point, calibration).

The histogram is numpy.histogram's; the percentile, MSE and KL calibrators are re-implemented here in
NumPy from their descriptions in lib/quant/README.md (KL: TensorRT's entropy calibration, Migacz,
GTC 2017) and compared on many inputs; the percentile is also checked against numpy.percentile.
PyTorch checks the affine map in oracle/test_torch_quant.py.
"""
import math

import numpy as np
import pytest

import glassbox as gb


def sample(seed, n=20000, outliers=True, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.standard_normal(n)
    elif kind == "laplace":
        x = rng.laplace(size=n)
    else:  # relu activations: half of them exactly 0
        x = np.maximum(rng.standard_normal(n) * 2.0, 0.0)
    if outliers:
        x = np.concatenate([x, rng.uniform(8.0, 40.0, 3) * rng.choice([-1, 1], 3)])
    return x.astype(np.float32)


# --- the affine map -----------------------------------------------------------------------------

def test_worked_example_of_the_course():
    r = np.array([-1.0, 0.0, 0.5, 2.0], dtype=np.float32)
    scale, zp = gb.quant.choose_qparams(-1.0, 2.0, dtype="uint8")
    assert scale == pytest.approx(3.0 / 255.0, rel=1e-15) and zp == 85
    np.testing.assert_array_equal(gb.quant.quantize(r, scale, zp, dtype="uint8"), [0, 85, 127, 255])
    s, z = gb.quant.choose_qparams(-1.0, 2.0, dtype="int8", symmetric=True, restricted=True)
    assert s == pytest.approx(2.0 / 127.0, rel=1e-15) and z == 0
    np.testing.assert_array_equal(gb.quant.quantize(r, s, z, dtype="int8"), [-64, 0, 32, 127])
    assert gb.quant.qrange("int8", restricted=True) == (-127, 127)


def test_round_trip_is_within_half_a_step_and_zero_is_exact():
    rng = np.random.default_rng(1)
    for _ in range(50):
        lo, hi = sorted(rng.uniform(-10, 10, 2))
        x = rng.uniform(lo, hi, 500).astype(np.float32)
        for dtype in ("uint8", "int8"):
            s, z = gb.quant.choose_qparams(lo, hi, dtype=dtype)
            back = gb.quant.fake_quantize(x, s, z, dtype=dtype)
            assert np.all(np.abs(back - x) <= 0.5 * s * (1 + 1e-4) + 1e-6)
            assert gb.quant.fake_quantize(np.zeros(1, np.float32), s, z, dtype=dtype)[0] == 0.0


def test_per_channel_is_per_tensor_of_each_channel():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * rng.uniform(0.01, 2, (8, 1, 1, 1)).astype(np.float32)
    scales, zps = gb.quant.qparams(w, dtype="int8", symmetric=True, axis=0)
    q = gb.quant.quantize(w, scales, zps, dtype="int8", axis=0)
    for c in range(8):
        s, z = gb.quant.qparams(w[c], dtype="int8", symmetric=True)
        assert (scales[c], zps[c]) == (s, z)
        np.testing.assert_array_equal(q[c], gb.quant.quantize(w[c], s, z, dtype="int8"))
    # each channel's step is at most the per-tensor step, each error at most half of its own step,
    # and the whole tensor's squared error smaller
    st, zt = gb.quant.qparams(w, dtype="int8", symmetric=True)
    assert np.all(scales <= st)
    err_c = gb.quant.dequantize(q, scales, zps, axis=0) - w
    err_t = gb.quant.fake_quantize(w, st, zt, dtype="int8") - w
    assert np.all(np.abs(err_c).reshape(8, -1).max(axis=1) <= 0.5 * scales * (1 + 1e-4))
    assert np.sum(err_c.astype(np.float64) ** 2) < np.sum(err_t.astype(np.float64) ** 2)


def test_bad_inputs_raise_glassbox_error():
    with pytest.raises(gb.Error, match="min <= max"):
        gb.quant.choose_qparams(1.0, -1.0)
    with pytest.raises(gb.Error, match="finite"):
        gb.quant.choose_qparams(float("nan"), 1.0)
    with pytest.raises(gb.Error, match="int8"):
        gb.quant.choose_qparams(-1.0, 1.0, dtype="int4")
    with pytest.raises(gb.Error, match="NaN"):
        gb.quant.quantize(np.array([1.0, np.nan]), 0.1, 0)
    with pytest.raises(gb.Error, match="non-empty"):
        gb.quant.calibrate(np.zeros(0, np.float32))
    with pytest.raises(gb.Error, match="minmax"):
        gb.quant.calibrate(np.ones(3), method="entropy")
    with pytest.raises(gb.Error, match="finite"):
        gb.quant.calibrate(np.array([1.0, np.inf]), method="kl")


# --- fixed point --------------------------------------------------------------------------------

def test_fixed_point_multiply_is_the_real_product_within_one():
    rng = np.random.default_rng(3)
    for m in np.exp(rng.uniform(-15, 3, 40)):
        mult, shift = gb.quant.quantize_multiplier(m)
        assert mult == 0 or 2**30 <= mult < 2**31
        assert mult * 2.0 ** (shift - 31) == pytest.approx(m, rel=2**-30)
        acc = rng.integers(-(2**20), 2**20, 500).astype(np.int32)
        got = gb.quant.multiply_by_quantized_multiplier(acc, mult, shift)
        exact = acc.astype(np.float64) * (mult * 2.0 ** (shift - 31))
        assert np.all(np.abs(got - exact) <= 1.0)
        assert gb.quant.multiply_by_quantized_multiplier(int(acc[0]), mult, shift) == got[0]


def test_requantize_is_saturate_zero_point_plus_m_times_acc():
    mult, shift = gb.quant.quantize_multiplier(0.02)
    acc = np.arange(-20000, 20000, 37, dtype=np.int32)
    q = gb.quant.requantize(acc, mult, shift, zero_point=128, dtype="uint8")
    assert np.all(np.abs(q - np.clip(np.round(128 + 0.02 * acc), 0, 255)) <= 1)
    relu = gb.quant.requantize(acc, mult, shift, zero_point=128, dtype="uint8", qmin=128)
    assert relu.min() == 128


# --- histogram and calibrators ------------------------------------------------------------------

@pytest.mark.parametrize("bins", [1, 7, 128, 2048])
def test_abs_histogram_is_numpy_histogram_of_abs(bins):
    for seed in range(5):
        x = sample(seed, 5000)
        x[:4] = [0.0, -0.0, x.max(), -np.abs(x).max()]
        a = np.abs(x.astype(np.float64))
        counts, edges = gb.quant.abs_histogram(x, bins)
        want, want_edges = np.histogram(a, bins=bins, range=(0.0, a.max()))
        np.testing.assert_array_equal(counts, want)
        np.testing.assert_array_equal(edges, want_edges)
    # values on the edges themselves: k / 8 with 8 bins on [0, 1]
    x = (np.arange(0, 9) / 8.0).astype(np.float32)
    counts, _ = gb.quant.abs_histogram(x, 8)
    np.testing.assert_array_equal(counts, np.histogram(x.astype(np.float64), 8, (0.0, 1.0))[0])


def percentile_np(counts, edges, p):
    """The documented rule: the first bin where the cumulative count reaches p% of the total, then
    linear interpolation inside it."""
    cum = np.cumsum(counts)
    target = cum[-1] * p / 100.0
    b = int(np.searchsorted(cum, target, side="left"))
    before = cum[b - 1] if b > 0 else 0.0
    width = edges[-1] / len(counts)
    return (b + min(max((target - before) / counts[b], 0.0), 1.0)) * width


@pytest.mark.parametrize("p", [50.0, 90.0, 99.0, 99.9, 99.99, 100.0])
def test_percentile_follows_the_histogram_rule_and_numpy_percentile(p):
    for seed, kind in [(10, "normal"), (11, "laplace"), (12, "relu")]:
        x = sample(seed, kind=kind)
        counts, edges = gb.quant.abs_histogram(x)
        t = gb.quant.calibrate(x, "percentile", percentile=p)
        assert t == pytest.approx(percentile_np(counts, edges, p), rel=1e-12)
        width = edges[-1] / len(counts)
        assert abs(t - np.percentile(np.abs(x.astype(np.float64)), p)) <= 1.5 * width


def mse_np(counts, edges):
    """Every bin edge (b + 1) * w as T; the error of the histogram's bin centres fake-quantized with
    S = T / 127 (round half to even, clipped at 127 S); the first smallest."""
    width = edges[-1] / len(counts)
    centres = (np.arange(len(counts)) + 0.5) * width
    thresholds = (np.arange(len(counts)) + 1) * width
    s = thresholds[:, None] / 127.0
    q = np.minimum(np.round(centres[None, :] / s), 127.0)
    err = ((centres[None, :] - q * s) ** 2 * counts[None, :]).sum(axis=1)
    return thresholds, err


def test_mse_threshold_is_the_smallest_error_over_the_bin_edges():
    for seed, kind in [(20, "normal"), (21, "laplace"), (22, "relu")]:
        x = sample(seed, 8000, kind=kind)
        counts, edges = gb.quant.abs_histogram(x, 512)
        thresholds, err = mse_np(counts, edges)
        t = gb.quant.calibrate(x, "mse", bins=512)
        k = int(np.argmin(err))
        if t != thresholds[k]:  # summation order may break a near tie the other way
            j = int(np.argmin(np.abs(thresholds - t)))
            assert err[j] == pytest.approx(err[k], rel=1e-9)


def kl_sweep_np(counts, levels=128):
    """TensorRT's entropy calibration as lib/quant/README.md writes it: bin 0 counted as bin 1, P = bins[0:i] with the outliers
    added to P[i-1]; Q = bins[0:i] merged into `levels` groups of i // levels bins (the remainder in the
    last group), spread evenly over P's non-zero bins; KL(P || Q), +inf where q = 0 < p."""
    bins = len(counts)
    counts = counts.astype(np.float64).copy()
    if counts[1] > 0:
        counts[0] = counts[1]  # the zero spike rule (pytorch-quantization's bins[0] = bins[1])
    divergence = []
    for i in range(levels, bins):
        p = counts[:i].astype(np.float64).copy()
        p[i - 1] += counts[i:].sum()
        width = i // levels
        group = np.minimum(np.arange(i) // width, levels - 1)
        sums = np.bincount(group, weights=counts[:i], minlength=levels)
        nonzero = np.bincount(group, weights=(p != 0).astype(np.float64), minlength=levels)
        q = np.where(p != 0, sums[group] / np.maximum(nonzero[group], 1.0), 0.0)
        pn, qn = p / p.sum(), q / q.sum()
        m = pn > 0
        if np.any(qn[m] == 0):
            divergence.append(math.inf)
        else:
            divergence.append(float(np.sum(pn[m] * np.log(pn[m] / qn[m]))))
    divergence = np.array(divergence)
    best = levels + int(np.argmin(divergence))
    return divergence, best


@pytest.mark.parametrize("seed,kind,bins", [(30, "normal", 2048), (31, "laplace", 2048), (32, "relu", 1024),
                                            (33, "normal", 300)])
def test_kl_sweep_is_tensorrts_entropy_calibration(seed, kind, bins):
    x = sample(seed, kind=kind)
    sweep = gb.quant.kl_sweep(x, bins=bins)
    counts, edges = gb.quant.abs_histogram(x, bins)
    np.testing.assert_array_equal(sweep["counts"], counts)
    divergence, best = kl_sweep_np(counts)
    np.testing.assert_array_equal(sweep["candidates"], np.arange(128, bins))
    finite = np.isfinite(divergence)
    np.testing.assert_array_equal(np.isfinite(sweep["divergence"]), finite)
    np.testing.assert_allclose(sweep["divergence"][finite], divergence[finite], rtol=1e-9, atol=1e-12)
    assert sweep["best"] == best
    assert sweep["threshold"] == pytest.approx((best + 0.5) * edges[-1] / bins, rel=1e-15)
    assert gb.quant.calibrate(x, "kl", bins=bins) == sweep["threshold"]
    # the same sweep from the histogram itself
    again = gb.quant.kl_sweep(counts=counts, max=edges[-1])
    assert again["best"] == best


def test_kl_divergence_is_the_normalised_definition():
    rng = np.random.default_rng(40)
    for _ in range(50):
        p, q = rng.uniform(0, 1, 30), rng.uniform(0.01, 1, 30)
        p[rng.integers(0, 30, 5)] = 0.0
        pn, qn = p / p.sum(), q / q.sum()
        m = pn > 0
        assert gb.quant.kl_divergence(p, q) == pytest.approx(np.sum(pn[m] * np.log(pn[m] / qn[m])), rel=1e-12)
    assert gb.quant.kl_divergence([1, 1], [1, 0]) == math.inf


def test_clipping_calibrators_stay_below_min_max_on_outliers():
    x = sample(50)
    amax = float(np.abs(x).max())
    t = {m: gb.quant.calibrate(x, m) for m in gb.quant.calibrators()}
    assert t["minmax"] == amax and t["moving_average"] == amax
    assert t["percentile"] < amax and t["kl"] < amax and t["mse"] <= amax
    assert 2.0 < t["kl"] < 8.0


def test_observer_over_batches():
    rng = np.random.default_rng(60)
    batches = [rng.standard_normal(500).astype(np.float32) * (1 + b) for b in range(5)]
    obs = gb.quant.Observer("minmax")
    kl = gb.quant.Observer("kl")
    for b in batches:
        obs.observe(b)
        kl.observe(b)
    everything = np.concatenate(batches)
    assert obs.batches == 5 and obs.min == everything.min() and obs.max == everything.max()
    assert obs.threshold() == np.abs(everything).max()
    counts, edges = kl.histogram()
    # the histogram was widened four times (each batch is wider): every value is still counted
    assert counts.sum() == pytest.approx(everything.size, rel=1e-12)
    assert edges[-1] == np.abs(everything).max()
    # the widened histogram is close to the histogram of everything (counts move by at most a bin)
    direct, _ = gb.quant.abs_histogram(everything)
    assert np.abs(np.cumsum(counts) - np.cumsum(direct)).max() <= 0.02 * everything.size
    assert kl.threshold() == gb.quant.kl_sweep(counts=counts, max=edges[-1])["threshold"]
    with pytest.raises(gb.Error, match="at least one"):
        gb.quant.Observer("kl").threshold()
