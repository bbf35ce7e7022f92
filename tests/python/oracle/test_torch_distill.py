"""PyTorch as the oracle of lesson 27 (knowledge distillation): gb.compress's softmax with a temperature
against torch.softmax(z / T), the soft-target loss and its gradient against
F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction="batchmean") * T * T and torch's autograd, and
the distillation loss against the same plus lambda * F.cross_entropy, for T in {1, 2, 4, 10}, several
weights and shapes. Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import glassbox as gb  # noqa: E402

TEMPERATURES = [1.0, 2.0, 4.0, 10.0]
SHAPES = [(1, 2), (5, 10), (32, 10), (7, 3), (64, 100)]


def logits(shape, scale, seed):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def torch_soft_target(s, t, T):
    """(value, grad wrt s) of T^2 kl_div(log_softmax(s / T), softmax(t / T), batchmean), float64."""
    st = torch.tensor(s, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64)
    loss = F.kl_div(F.log_softmax(st / T, dim=1), F.softmax(tt / T, dim=1), reduction="batchmean") * T * T
    loss.backward()
    return loss.item(), st.grad.numpy()


@pytest.mark.parametrize("T", TEMPERATURES + [0.5, 100.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_with_temperature(T, shape):
    z = logits(shape, 5.0, 1)
    expected = torch.softmax(torch.tensor(z, dtype=torch.float64) / T, dim=-1).numpy()
    np.testing.assert_allclose(gb.compress.softmax_with_temperature(z, T), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("T", TEMPERATURES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scale", [0.5, 3.0, 20.0])
def test_soft_target_loss_value_and_gradient(T, shape, scale):
    s, t = logits(shape, scale, 2), logits(shape, scale, 3)
    value, grad = gb.compress.soft_target_loss(s, t, T)
    expected_value, expected_grad = torch_soft_target(s, t, T)
    assert value == pytest.approx(expected_value, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(gb.compress.soft_target_grad(s, t, T), expected_grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("T", TEMPERATURES)
@pytest.mark.parametrize("lam", [0.0, 0.1, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("shape", [(1, 10), (16, 10), (9, 4)])
def test_distillation_loss_value_and_gradient(T, lam, shape):
    s, t = logits(shape, 3.0, 4), logits(shape, 3.0, 5)
    labels = np.random.default_rng(6).integers(0, shape[1], shape[0])
    value, grad = gb.compress.distillation_loss(s, t, labels, T, lam)
    st = torch.tensor(s, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64)
    loss = (F.kl_div(F.log_softmax(st / T, dim=1), F.softmax(tt / T, dim=1), reduction="batchmean") * T * T
            + lam * F.cross_entropy(st, torch.tensor(labels)))
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(grad, st.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_the_soft_gradient_keeps_its_size_whatever_the_temperature():
    """Hinton et al.'s reason for the T^2: for large T, T^2 KL's gradient tends to (s - t) / (C N) with
    zero-mean logits, independent of T (torch agrees; this is a property, not our number)."""
    s, t = logits((4, 10), 1.0, 7), logits((4, 10), 1.0, 8)
    s -= s.mean(axis=1, keepdims=True)
    t -= t.mean(axis=1, keepdims=True)
    limit = (s - t) / (10 * 4)
    for T in [50.0, 200.0]:
        _, grad = gb.compress.soft_target_loss(s, t, T)
        np.testing.assert_allclose(grad, torch_soft_target(s, t, T)[1], rtol=1e-3, atol=1e-8)
        np.testing.assert_allclose(grad, limit, rtol=0.05, atol=2e-4)
