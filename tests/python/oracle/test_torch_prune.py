"""PyTorch as the oracle of lesson 26 (pruning): gb.compress's magnitude masks against
torch.nn.utils.prune.l1_unstructured (amount as a fraction, Python's round) and global_unstructured,
the filters gb.compress removes against ln_structured(n=1, dim=0), and the CSR arrays and the sparse x
dense product against torch's to_sparse_csr() and dense matmul. Weights are random float32 without
ties (torch.topk leaves the order of ties unspecified). Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

SHAPES = [(1,), (2,), (5,), (7,), (3, 5), (10, 10), (128, 64), (16, 1, 3, 3), (8, 4, 3, 3), (3, 3, 1, 1)]
AMOUNTS = [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 1.0]


def distinct_weights(shape, seed):
    """Random float32 weights whose magnitudes are all different (no ties)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    magnitudes = rng.permutation(np.arange(1, n + 1, dtype=np.float64)) / n + rng.uniform(0, 0.1 / n, n)
    signs = rng.choice([-1.0, 1.0], n)
    return (magnitudes * signs).astype(np.float32).reshape(shape)


def torch_mask(w, amount):
    t = torch.from_numpy(w.copy())
    return prune.L1Unstructured(amount=amount).compute_mask(t, default_mask=torch.ones_like(t)).numpy()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_magnitude_mask_equals_l1_unstructured(shape, amount):
    w = distinct_weights(shape, seed=sum(shape) * 31 + int(amount * 100))
    expected = torch_mask(w, amount)
    got = gb.compress.magnitude_mask(w, amount)
    assert got.dtype == np.float32 and got.shape == w.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("numel", [1, 3, 5, 7, 9, 11, 13, 101])
def test_half_of_an_odd_count_rounds_like_torch(numel):
    # 0.5 * odd is an exact half: Python's round sends it to the even neighbour, and so must we.
    w = distinct_weights((numel,), seed=numel)
    np.testing.assert_array_equal(gb.compress.magnitude_mask(w, 0.5), torch_mask(w, 0.5))
    assert gb.compress.prune_count(numel, 0.5) == round(0.5 * numel)


def test_module_l1_unstructured_gives_the_same_mask():
    lin = torch.nn.Linear(64, 128)
    w = lin.weight.detach().numpy().copy()
    prune.l1_unstructured(lin, name="weight", amount=0.7)
    np.testing.assert_array_equal(gb.compress.magnitude_mask(w, 0.7), lin.weight_mask.numpy())


@pytest.mark.parametrize("amount", [0.0, 0.2, 0.5, 0.8, 0.9, 1.0])
def test_global_masks_equal_global_unstructured(amount):
    modules = [torch.nn.Conv2d(1, 16, 3), torch.nn.Conv2d(16, 32, 3), torch.nn.Linear(128, 10)]
    total = sum(m.weight.numel() for m in modules)
    # Different scales per layer, so that one threshold prunes the layers unevenly; the first seed whose
    # scaled float32 magnitudes are all distinct (no ties for torch.topk to order as it likes).
    for seed in range(100):
        all_w = distinct_weights((total,), seed=seed)
        weights, at = [], 0
        for m, scale in zip(modules, [1.0, 0.3, 0.6]):
            n = m.weight.numel()
            weights.append((all_w[at:at + n] * scale).reshape(m.weight.shape).astype(np.float32))
            at += n
        if len({float(x) for w in weights for x in np.abs(w).ravel()}) == total:
            break
    else:
        pytest.fail("no seed without ties")
    for m, w in zip(modules, weights):
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w))
    prune.global_unstructured([(m, "weight") for m in modules], pruning_method=prune.L1Unstructured, amount=amount)
    got = gb.compress.global_magnitude_masks(weights, amount)
    for g, m in zip(got, modules):
        np.testing.assert_array_equal(g, m.weight_mask.numpy())
    if 0 < amount < 1:  # the layers lose different fractions
        fractions = [1 - g.mean() for g in got]
        assert max(fractions) - min(fractions) > 0.1


@pytest.mark.parametrize("shape", [(16, 1, 3, 3), (32, 16, 3, 3), (7, 3, 2, 2), (2, 5, 1, 1)])
def test_filters_to_prune_equal_ln_structured(shape):
    w = np.random.default_rng(shape[0] * 17 + shape[1]).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(gb.compress.filter_l1_norms(w), np.abs(w).sum(axis=(1, 2, 3)), rtol=1e-6)
    for count in range(shape[0]):
        t = torch.from_numpy(w.copy())
        mask = prune.LnStructured(amount=count, n=1, dim=0).compute_mask(t, default_mask=torch.ones_like(t)).numpy()
        torch_removed = [oc for oc in range(shape[0]) if not mask[oc].any()]
        assert gb.compress.filters_to_prune(w, count) == torch_removed


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
def test_prune_filters_removes_what_ln_structured_prunes(fraction):
    model = gb.nn.digits_cnn(4)
    small, removed = gb.compress.prune_filters(model, fraction)
    state = model.state_dict()
    for name in ["0", "4"]:
        conv = torch.nn.Conv2d(1, 1, 1)
        conv.weight = torch.nn.Parameter(torch.from_numpy(state[name + ".weight"].copy()))
        prune.ln_structured(conv, name="weight", amount=fraction, n=1, dim=0)
        mask = conv.weight_mask.numpy()
        assert removed[name] == [oc for oc in range(mask.shape[0]) if not mask[oc].any()]
    assert small.state_dict()["0.weight"].shape[0] == 16 - len(removed["0"])


@pytest.mark.parametrize("shape", [(1, 1), (5, 17), (64, 128), (128, 64), (10, 1), (1, 10)])
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 0.99, 1.0])
def test_csr_arrays_equal_torch_to_sparse_csr(shape, sparsity):
    w = np.random.default_rng(shape[0] * 7 + shape[1]).standard_normal(shape).astype(np.float32)
    w = w * gb.compress.magnitude_mask(w, sparsity)
    a = gb.compress.to_csr(w)
    t = torch.from_numpy(w).to_sparse_csr()
    assert a.shape == tuple(t.shape)
    np.testing.assert_array_equal(a.row_ptr, t.crow_indices().numpy())
    np.testing.assert_array_equal(a.col_index, t.col_indices().numpy())
    np.testing.assert_array_equal(a.values, t.values().numpy())
    np.testing.assert_array_equal(a.to_dense(), t.to_dense().numpy())
    # And back: torch's arrays make the same matrix here.
    b = gb.compress.CsrMatrix(t.crow_indices().numpy(), t.col_indices().numpy(), t.values().numpy(), tuple(t.shape))
    np.testing.assert_array_equal(b.to_dense(), w)


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.7, 0.9, 0.99])
@pytest.mark.parametrize("m,k,n", [(128, 64, 32), (10, 128, 1), (37, 53, 19)])
def test_spmm_equals_torch_matmul(sparsity, m, k, n):
    rng = np.random.default_rng(m + k + n)
    w = rng.standard_normal((m, k)).astype(np.float32)
    w = w * gb.compress.magnitude_mask(w, sparsity)
    b = rng.standard_normal((k, n)).astype(np.float32)
    expected = (torch.from_numpy(w).double() @ torch.from_numpy(b).double()).numpy()
    np.testing.assert_allclose(gb.compress.spmm(gb.compress.to_csr(w), b), expected, rtol=1e-5, atol=1e-5)
    # torch's own sparse x dense product agrees too.
    np.testing.assert_allclose((torch.from_numpy(w).to_sparse_csr() @ torch.from_numpy(b)).numpy(), expected,
                               rtol=1e-5, atol=1e-5)


def test_sparse_linear_equals_torch_linear():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((10, 64)).astype(np.float32)
    w = w * gb.compress.magnitude_mask(w, 0.9)
    x = rng.standard_normal((32, 64)).astype(np.float32)
    bias = rng.standard_normal(10).astype(np.float32)
    expected = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)).numpy()
    np.testing.assert_allclose(gb.compress.sparse_linear(x, gb.compress.to_csr(w), bias), expected, rtol=1e-5, atol=1e-5)
