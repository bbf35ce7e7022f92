"""gb.compress, pruning half (lesson 26): the Python API with NumPy as the oracle: masks, the gradual
schedule (Zhu and Gupta's formula), filters, model costs, masks on gb.nn models, CSR."""
import numpy as np
import pytest

import glassbox as gb


def test_magnitude_mask_prunes_the_smallest_magnitudes(rng):
    w = rng.standard_normal((12, 9)).astype(np.float32)
    for s in [0.0, 0.3, 0.5, 0.9, 1.0]:
        m = gb.compress.magnitude_mask(w, s)
        k = round(s * w.size)
        assert m.shape == w.shape and m.dtype == np.float32
        assert int((m == 0).sum()) == k
        order = np.argsort(np.abs(w).ravel(), kind="stable")
        np.testing.assert_array_equal(m.ravel()[order[:k]], 0)
        np.testing.assert_array_equal(m.ravel()[order[k:]], 1)
    # float64 input is taken as float32.
    assert gb.compress.magnitude_mask(w.astype(np.float64), 0.5).dtype == np.float32


def test_global_masks_share_one_threshold(rng):
    ws = [rng.standard_normal(s).astype(np.float32) * scale for s, scale in [((20,), 1.0), ((4, 5), 0.1)]]
    masks = gb.compress.global_magnitude_masks(ws, 0.5)
    assert sum(int((m == 0).sum()) for m in masks) == 20
    threshold = np.sort(np.abs(np.concatenate([w.ravel() for w in ws])))[19]
    for w, m in zip(ws, masks):
        np.testing.assert_array_equal(m, (np.abs(w) > threshold).astype(np.float32))


@pytest.mark.parametrize("initial,final,begin,frequency,n", [(0.0, 0.9, 0, 1, 10), (0.1, 0.95, 50, 20, 8)])
def test_gradual_sparsity_follows_zhu_and_gupta(initial, final, begin, frequency, n):
    kw = dict(initial=initial, final=final, begin=begin, frequency=frequency, pruning_steps=n)
    end = begin + n * frequency
    for t in range(max(0, begin - 5), end + 10):
        if t < begin:
            expected = initial
        elif t >= end:
            expected = final
        else:
            last = begin + frequency * ((t - begin) // frequency)
            expected = final + (initial - final) * (1 - (last - begin) / (n * frequency)) ** 3
        assert gb.compress.gradual_sparsity(t, **kw) == pytest.approx(expected, abs=1e-12)
        assert gb.compress.is_pruning_step(t, **kw) == (begin <= t <= end and (t - begin) % frequency == 0)
    with pytest.raises(gb.Error, match="frequency"):
        gb.compress.gradual_sparsity(3, frequency=0)


def test_filters_rank_by_l1_norm(rng):
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    norms = np.abs(w).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(gb.compress.filter_l1_norms(w), norms, rtol=1e-6)
    assert gb.compress.filters_to_prune(w, 3) == sorted(np.argsort(norms)[:3].tolist())
    with pytest.raises(gb.Error, match="filters_to_prune"):
        gb.compress.filters_to_prune(w, 8)


def test_prune_filters_and_model_cost_on_the_digits_cnn():
    model = gb.nn.digits_cnn(0)
    before = gb.compress.model_cost(model)
    assert before["parameters"] == model.parameter_count()
    assert before["macs"] == 16 * 64 * 9 + 32 * 16 * 16 * 9 + 128 * 10
    small, removed = gb.compress.prune_filters(model, 0.5)
    assert sorted(removed) == ["0", "4"] and len(removed["0"]) == 8 and len(removed["4"]) == 16
    after = gb.compress.model_cost(small)
    assert after["parameters"] == small.parameter_count() < before["parameters"]
    assert after["macs"] == 8 * 64 * 9 + 16 * 16 * 8 * 9 + 64 * 10
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    assert np.asarray(small(x)).shape == (4, 10)
    with pytest.raises(gb.Error, match="prune_filters"):
        gb.compress.prune_filters(model, 1.0)


def test_masks_on_a_model():
    model = gb.nn.digits_mlp(1)
    assert gb.compress.prunable_parameters(model) == ["1.weight", "3.weight", "5.weight"]
    masks = gb.compress.magnitude_masks(model, 0.6, scope="global")
    assert sorted(masks) == ["1.weight", "3.weight", "5.weight"]
    gb.compress.apply_masks(model, masks)
    count = gb.compress.count_sparsity(model)
    total = 128 * 64 + 64 * 128 + 10 * 64
    assert count["total"] == total and count["zeros"] == round(0.6 * total)
    state = model.state_dict()
    for name, m in masks.items():
        assert np.all(state[name][m == 0] == 0)
    with pytest.raises(gb.Error, match="scope"):
        gb.compress.magnitude_masks(model, 0.5, scope="local")


def test_csr_round_trip_spmm_and_errors(rng):
    w = rng.standard_normal((20, 30)).astype(np.float32)
    w *= gb.compress.magnitude_mask(w, 0.8)
    a = gb.compress.to_csr(w)
    assert a.shape == (20, 30) and a.nnz == int((w != 0).sum()) and a.density == pytest.approx(a.nnz / 600)
    rows, cols = np.nonzero(w)
    np.testing.assert_array_equal(a.col_index, cols)
    np.testing.assert_array_equal(a.values, w[rows, cols])
    np.testing.assert_array_equal(a.row_ptr, np.concatenate([[0], np.cumsum((w != 0).sum(axis=1))]))
    np.testing.assert_array_equal(gb.compress.to_dense(a), w)
    b = rng.standard_normal((30, 7)).astype(np.float32)
    np.testing.assert_allclose(gb.compress.spmm(a, b), w.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    x = rng.standard_normal((5, 30)).astype(np.float32)
    np.testing.assert_allclose(gb.compress.sparse_linear(x, a), x.astype(np.float64) @ w.T, rtol=1e-5, atol=1e-5)
    with pytest.raises(gb.Error, match="spmm"):
        gb.compress.spmm(a, b[:5])
    with pytest.raises(gb.Error, match="col_index"):
        gb.compress.CsrMatrix([0, 1, 2], [0, 9], [1.0, 2.0], (2, 3))
