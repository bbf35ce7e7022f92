"""Reverse-mode tensors from Python: gb.Tensor(..., requires_grad=True), .backward(), .grad.
NumPy (hand-derived gradients) is the oracle; tests/python/oracle compares with torch.autograd."""
import numpy as np
import pytest

import glassbox as gb


def test_requires_grad_makes_a_variable_that_is_a_tensor():
    x = gb.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert isinstance(x, gb.Tensor)
    assert isinstance(x, gb.autograd.Variable)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    np.testing.assert_array_equal(np.asarray(x), [1, 2, 3])
    plain = gb.Tensor(np.array([1.0]))
    assert type(plain) is gb.Tensor and not plain.requires_grad
    assert type(gb.Tensor(np.array([1.0]), requires_grad=False)) is gb.Tensor


def test_backward_fills_grad():
    x = gb.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = (x * x).sum()
    assert y.grad_fn == "sum"
    y.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [2, 4, 6])
    x.grad = None
    assert x.grad is None


def test_the_second_example_of_the_lesson():
    x = gb.Tensor(np.array(3.0), requires_grad=True)
    loss = ((x + 1) - 2 * x) ** 2
    assert loss.item() == 4
    loss.backward()
    assert x.grad.item() == 4


def test_mixed_operands_record():
    w = gb.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    plain = gb.tensor(np.array([[1.0, 0.0]]))
    out = (plain @ w).sum() + (np.ones((2, 2)) * w).sum() + (2.0 * w).mean()
    out.backward()
    np.testing.assert_allclose(np.asarray(w.grad), [[1 + 1 + 0.5] * 2, [0 + 1 + 0.5] * 2])


def test_no_grad_and_errors():
    x = gb.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with gb.autograd.no_grad():
        assert not gb.autograd.grad_enabled()
        y = x * x
    assert gb.autograd.grad_enabled()
    assert not y.requires_grad
    with pytest.raises(gb.Error, match="requires grad"):
        y.sum().backward()
    with pytest.raises(gb.Error, match="non-scalar"):
        (x * x).backward()
    z = (x * x).sum()
    z.backward()
    with pytest.raises(gb.Error, match="retain_graph"):
        z.backward()
    with pytest.raises(gb.Error, match="floating"):
        gb.Tensor(np.array([1, 2]), requires_grad=True)


def test_grad_jacobians_hessian():
    x = gb.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = gb.autograd.grad((x ** 3.0).sum(), [x], create_graph=True)
    np.testing.assert_allclose(np.asarray(g), [3, 12])
    (h,) = gb.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(np.asarray(h), [6, 12])
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    jr = gb.autograd.jacrev(lambda v: gb.tensor(w) @ v, gb.tensor(np.array([1.0, 1.0])))
    jf = gb.autograd.jacfwd(lambda v: gb.tensor(w) @ v, gb.tensor(np.array([1.0, 1.0])))
    np.testing.assert_allclose(np.asarray(jr), w)
    np.testing.assert_allclose(np.asarray(jf), w)
    hess = gb.autograd.hessian(lambda v: (v * v * v).sum(), gb.tensor(np.array([1.0, 2.0])))
    np.testing.assert_allclose(np.asarray(hess), np.diag([6.0, 12.0]))


def test_sgd_step_lowers_the_loss():
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    w = gb.Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    losses = []
    for _ in range(5):
        loss = ((gb.tensor(xs) @ w - gb.tensor(ys)) ** 2.0).mean()
        losses.append(loss.item())
        loss.backward()
        w = gb.Tensor(np.asarray(w) - 0.1 * np.asarray(w.grad), requires_grad=True)
    assert losses[-1] < losses[0]
