"""gb.parallel's collectives (lesson 10): NumPy reductions as the oracle for the values, and the
alpha-beta costs of Thakur, Rabenseifner and Gropp (2005) for the simulated times."""
import math

import numpy as np
import pytest

import glassbox as gb

ALPHA, BETA = 5e-6, 1.0 / 10e9


@pytest.mark.parametrize("algorithm", ["ring", "tree", "recursive_doubling"])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 8])
def test_all_reduce_equals_numpy(algorithm, op, n):
    if algorithm == "recursive_doubling" and n & (n - 1):
        pytest.skip("recursive doubling needs a power of two")
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal((3, 7)).astype(np.float32) for _ in range(n)]
    before = [a.copy() for a in arrays]
    out, seconds = gb.parallel.all_reduce(arrays, algorithm=algorithm, op=op)
    expected = {"sum": np.sum, "mean": np.mean, "max": np.max}[op](np.stack(arrays), axis=0)
    assert len(out) == n
    for a in out:
        assert a.shape == (3, 7)
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-6)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)  # inputs untouched
    assert (seconds > 0) == (n > 1)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 16])
def test_allreduce_cost_matches_the_alpha_beta_formulas(n):
    S = 4096 * n
    lg = math.ceil(math.log2(n))
    seconds, sent = gb.parallel.allreduce_cost("ring", n, S, ALPHA, BETA)
    assert seconds == pytest.approx(2 * (n - 1) * (ALPHA + S / n * BETA), rel=1e-12)
    assert sent == 2 * (n - 1) * S // n
    seconds, _ = gb.parallel.allreduce_cost("tree", n, S, ALPHA, BETA)
    assert seconds == pytest.approx(2 * lg * (ALPHA + S * BETA), rel=1e-12)
    if n & (n - 1) == 0:
        seconds, sent = gb.parallel.allreduce_cost("recursive_doubling", n, S, ALPHA, BETA)
        assert seconds == pytest.approx(lg * (ALPHA + S * BETA), rel=1e-12)
        assert sent == lg * S


def test_ring_wins_for_large_buffers_and_loses_for_small_ones():
    small = {a: gb.parallel.allreduce_cost(a, 16, 1024, ALPHA, BETA)[0] for a in ["ring", "recursive_doubling"]}
    large = {a: gb.parallel.allreduce_cost(a, 16, 1 << 28, ALPHA, BETA)[0] for a in ["ring", "recursive_doubling"]}
    assert small["recursive_doubling"] < small["ring"]
    assert large["ring"] < large["recursive_doubling"]


def test_bad_input_raises():
    with pytest.raises(Exception, match="ring, tree or recursive_doubling"):
        gb.parallel.allreduce_cost("butterfly", 4, 1024)
    with pytest.raises(Exception, match="power-of-two"):
        gb.parallel.allreduce_cost("recursive_doubling", 6, 1024)
    with pytest.raises(Exception, match="same shape"):
        gb.parallel.all_reduce([np.zeros(3), np.zeros(4)])
    with pytest.raises(Exception, match="sum, mean or max"):
        gb.parallel.all_reduce([np.zeros(3)], op="min")
    with pytest.raises(Exception):
        gb.parallel.all_reduce([])
