"""gb.parallel's layouts, redistribution and strategy search (lesson 15). NumPy is the oracle for the
shards: np.split along each split dim, indexed by the device's coordinates (np.unravel_index over the
device matrix, MindSpore's axes counted from the right); redistribution results against the target
layout's NumPy shards; costs against the ring formulas; the search against brute force."""
import itertools

import numpy as np
import pytest

import glassbox as gb


def numpy_shard(x, tensor_map, device_matrix, device):
    coords = np.unravel_index(device, device_matrix)  # row-major numbering
    piece = x
    for dim, axis in enumerate(tensor_map):
        if axis == -1:
            continue
        left = len(device_matrix) - 1 - axis
        piece = np.split(piece, device_matrix[left], axis=dim)[coords[left]]
    return piece


MAPS_2D = [m for m in itertools.product([-1, 0, 1], repeat=2) if m[0] == -1 or m[0] != m[1]]


@pytest.mark.parametrize("tensor_map", MAPS_2D)
def test_to_shards_is_numpy_split(tensor_map):
    x = np.random.default_rng(0).standard_normal((8, 12))
    shards = gb.parallel.to_shards(x, list(tensor_map), [2, 4])
    assert len(shards) == 8
    for d, s in enumerate(shards):
        np.testing.assert_array_equal(s, numpy_shard(x, tensor_map, [2, 4], d))
        ranges = gb.parallel.shard_of([8, 12], list(tensor_map), [2, 4], d)
        np.testing.assert_array_equal(s, x[ranges[0][0]:ranges[0][1], ranges[1][0]:ranges[1][1]])
    np.testing.assert_array_equal(gb.parallel.from_shards(shards, [8, 12], list(tensor_map), [2, 4]), x)


def test_three_axes_and_three_dims():
    x = np.random.default_rng(1).standard_normal((4, 6, 8)).astype(np.float32)
    shards = gb.parallel.to_shards(x, [2, 1, 0], [2, 3, 2])
    for d, s in enumerate(shards):
        np.testing.assert_array_equal(s, numpy_shard(x, [2, 1, 0], [2, 3, 2], d))
    np.testing.assert_array_equal(gb.parallel.from_shards(shards, [4, 6, 8], [2, 1, 0], [2, 3, 2]), x)


def test_partial_shards_sum():
    parts = [np.random.default_rng(3 + d).standard_normal((4, 2)) for d in range(8)]
    # Any addends along the partial axis (the left one, of 2): the global tensor is their sum.
    glued = gb.parallel.from_shards(parts, [4, 8], [-1, 0], [2, 4], partial=[1])
    expected = np.concatenate([parts[c] + parts[4 + c] for c in range(4)], axis=1)
    np.testing.assert_allclose(glued, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("src,dst", list(itertools.product(MAPS_2D, MAPS_2D)))
def test_redistribute_gives_the_target_numpy_shards(src, dst):
    x = np.random.default_rng(4).standard_normal((8, 8))
    shards = gb.parallel.to_shards(x, list(src), [2, 4])
    out, seconds = gb.parallel.redistribute(shards, [8, 8], list(src), list(dst), [2, 4])
    for d, s in enumerate(out):
        np.testing.assert_array_equal(s, numpy_shard(x, dst, [2, 4], d))
    steps, timed = gb.parallel.redistribute_cost([8, 8], list(src), list(dst), [2, 4], element_bytes=8)
    assert timed == pytest.approx(seconds, abs=1e-15)
    assert (len(steps) == 0) == (src == dst)


def test_partial_to_replicated_is_an_all_reduce():
    rng = np.random.default_rng(5)
    parts = [rng.standard_normal((4, 4)) for _ in range(8)]
    out, _ = gb.parallel.redistribute(parts, [4, 4], [-1, -1], [-1, -1], [8], from_partial=[0])
    for s in out:
        np.testing.assert_allclose(s, np.sum(parts, axis=0), atol=1e-12)


def test_costs_are_the_ring_formulas():
    n, alpha, beta, S = 8, 5e-6, 1 / 25e9, 4096 * 4096 * 4

    def cost(*a, **k):
        return gb.parallel.redistribute_cost([4096, 4096], *a, alpha=alpha, beta=beta, **k)

    steps, s = cost([0, -1], [-1, -1], [8])
    assert [st["kind"] for st in steps] == ["all-gather"]
    assert s == pytest.approx((n - 1) * (alpha + beta * S / n), rel=1e-12)
    assert steps[0]["bytes_sent"] == (n - 1) * S // n
    steps, s = cost([-1, -1], [-1, -1], [8], from_partial=[0])
    assert [st["kind"] for st in steps] == ["all-reduce"]
    assert s == pytest.approx(2 * (n - 1) * (alpha + beta * S / n), rel=1e-12)
    steps, s = cost([0, -1], [-1, 0], [8])
    assert [st["kind"] for st in steps] == ["all-to-all"]
    assert s == pytest.approx((n - 1) * (alpha + beta * S / n / n), rel=1e-12)
    steps, s = cost([-1, -1], [0, -1], [8])
    assert [st["kind"] for st in steps] == ["split"] and s == 0


def test_search_matches_brute_force_and_finds_megatron():
    for batch, widths, limit in [(2048, [4096, 16384, 4096], 0), (16384, [512, 512, 512, 512], 0),
                                 (16384, [2048, 2048, 2048, 2048], 180 << 20), (64, [256, 1024, 256, 1024], 0)]:
        dp = gb.parallel.search_strategy(batch, widths, memory_limit=limit)
        brute = gb.parallel.search_strategy(batch, widths, memory_limit=limit, brute_force=True)
        assert dp["seconds"] == pytest.approx(brute["seconds"], rel=1e-12)
        if limit:
            assert dp["memory_bytes"] <= limit
    assert gb.parallel.search_strategy(2048, [4096, 16384, 4096])["strategies"] == ["column", "row"]
    assert gb.parallel.search_strategy(16384, [512, 512, 512, 512])["strategies"] == ["data parallel"] * 3


def test_bad_inputs_raise():
    with pytest.raises(Exception, match="divisible"):
        gb.parallel.to_shards(np.zeros((6, 8)), [0, -1], [4])
    with pytest.raises(Exception, match="once"):
        gb.parallel.shard_of([8, 8], [0, 0], [8], 0)
    with pytest.raises(Exception, match="none fits"):
        gb.parallel.search_strategy(16384, [2048, 2048], memory_limit=1 << 20)
    with pytest.raises(Exception):
        gb.parallel.search_strategy(64, [64, 64], candidates=["diagonal"])
