"""PyTorch's autograd as an oracle we did not write: values and gradients of every differentiable op
of glassbox.autograd agree with torch.autograd (torch 1.13) on random shapes, broadcasting included,
in float64. Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

CASES = 25
BROADCAST = [((3,), (3,)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 2)), ((2, 3), (2, 1)), ((1,), (4, 1, 2))]


def leaves(*arrays):
    """The same values as glassbox Variables and as torch leaves, both requiring grad."""
    return ([gb.Tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a.copy(), requires_grad=True) for a in arrays])


def compare(gb_out, torch_out, gb_inputs, torch_inputs, rng, tol=1e-10):
    np.testing.assert_allclose(np.asarray(gb_out), torch_out.detach().numpy(), rtol=tol, atol=tol)
    seed = rng.standard_normal(torch_out.shape)
    gb_out.backward(gb.tensor(seed.copy()))
    torch_out.backward(torch.tensor(seed))
    for g, t in zip(gb_inputs, torch_inputs):
        assert g.grad is not None
        np.testing.assert_allclose(np.asarray(g.grad), t.grad.numpy(), rtol=tol, atol=tol)


def random(rng, shape, positive=False):
    return rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_binary_ops_with_broadcasting(op):
    rng = np.random.default_rng(101)
    for sa, sb in BROADCAST * 3:
        positive = op in ("div", "pow")
        (a, b), (ta, tb) = leaves(random(rng, sa, positive), random(rng, sb, positive))
        fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
              "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}[op]
        compare(fn(a, b), fn(ta, tb), [a, b], [ta, tb], rng)


@pytest.mark.parametrize("op", ["neg", "relu", "sigmoid", "tanh", "exp", "log", "gelu"])
def test_unary_ops(op):
    rng = np.random.default_rng(102)
    ours = {"neg": lambda x: -x, "relu": gb.autograd.relu, "sigmoid": gb.autograd.sigmoid,
            "tanh": gb.autograd.tanh, "exp": gb.autograd.exp, "log": gb.autograd.log, "gelu": gb.autograd.gelu}[op]
    theirs = {"neg": lambda x: -x, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
              "exp": torch.exp, "log": torch.log,
              "gelu": lambda x: torch.nn.functional.gelu(x, approximate="tanh")}[op]
    for _ in range(CASES):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(0, 4)))
        (x,), (tx,) = leaves(random(rng, shape, positive=(op == "log")))
        compare(ours(x), theirs(tx), [x], [tx], rng)


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reductions(op):
    rng = np.random.default_rng(103)
    for _ in range(CASES):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))
        axis = int(rng.integers(-len(shape), len(shape)))
        keep = bool(rng.random() < 0.5)
        (x,), (tx,) = leaves(random(rng, shape))
        ours = getattr(x, op)(axis, keep)
        theirs = torch.amax(tx, dim=axis, keepdim=keep) if op == "max" else getattr(tx, op)(dim=axis, keepdim=keep)
        compare(ours, theirs, [x], [tx], rng)
        (y,), (ty,) = leaves(random(rng, shape))
        theirs_all = torch.amax(ty) if op == "max" else getattr(ty, op)()
        compare(getattr(y, op)(), theirs_all, [y], [ty], rng)


def test_matmul_with_batches_and_vectors():
    rng = np.random.default_rng(104)
    for _ in range(CASES):
        m, k, n = (int(s) for s in rng.integers(1, 5, size=3))
        batch = tuple(int(s) for s in rng.integers(1, 3, size=rng.integers(0, 3)))
        batch_b = tuple(1 if rng.random() < 0.4 else s for s in batch)
        for sa, sb in [(batch + (m, k), batch_b + (k, n)), ((k,), batch_b + (k, n)), (batch + (m, k), (k,)),
                       ((k,), (k,))]:
            (a, b), (ta, tb) = leaves(random(rng, sa), random(rng, sb))
            compare(a @ b, ta @ tb, [a, b], [ta, tb], rng)


def test_shape_ops():
    rng = np.random.default_rng(105)
    for _ in range(CASES):
        (x,), (tx,) = leaves(random(rng, (2, 3, 4)))
        perm = [int(p) for p in rng.permutation(3)]
        compare(x.permute(*perm), tx.permute(*perm), [x], [tx], rng)
        (x,), (tx,) = leaves(random(rng, (2, 3, 4)))
        compare(x.transpose(0, 2), tx.transpose(0, 2), [x], [tx], rng)
        (x,), (tx,) = leaves(random(rng, (2, 3, 4)))
        compare(x.transpose(0, 1).reshape(6, 4), tx.transpose(0, 1).reshape(6, 4), [x], [tx], rng)
        (x,), (tx,) = leaves(random(rng, (3, 1)))
        compare(x.broadcast_to(2, 3, 4), tx.expand(2, 3, 4), [x], [tx], rng)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax(op):
    rng = np.random.default_rng(106)
    for _ in range(CASES):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))
        axis = int(rng.integers(-len(shape), len(shape)))
        (x,), (tx,) = leaves(random(rng, shape) * 10)
        compare(getattr(gb.autograd, op)(x, axis), getattr(torch, op)(tx, dim=axis), [x], [tx], rng)


def test_second_derivatives_agree():
    rng = np.random.default_rng(107)
    for _ in range(CASES):
        (x,), (tx,) = leaves(random(rng, (3,)))
        (g,) = gb.autograd.grad((gb.autograd.tanh(x) ** 3.0).sum(), [x], create_graph=True)
        (tg,) = torch.autograd.grad((torch.tanh(tx) ** 3).sum(), [tx], create_graph=True)
        compare(g, tg, [x], [tx], rng)


def test_mlp_loss_gradients_agree():
    rng = np.random.default_rng(108)
    xs = rng.standard_normal((5, 4))
    labels = np.eye(3)[rng.integers(0, 3, size=5)]
    (w1, b1, w2), (tw1, tb1, tw2) = leaves(random(rng, (4, 6)), random(rng, (6,)), random(rng, (6, 3)))
    ours = -(gb.autograd.log_softmax(gb.autograd.gelu(gb.tensor(xs.copy()) @ w1 + b1) @ w2) * gb.tensor(labels)).sum(1).mean()
    theirs = -(torch.log_softmax(torch.nn.functional.gelu(torch.tensor(xs) @ tw1 + tb1, approximate="tanh") @ tw2, 1)
               * torch.tensor(labels)).sum(1).mean()
    compare(ours, theirs, [w1, b1, w2], [tw1, tb1, tw2], rng)
