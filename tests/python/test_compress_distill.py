"""gb.compress's distillation half (lesson 27) and the compress report, NumPy as the oracle: softmax with
a temperature, the soft-target loss and its gradient against the formulas written in NumPy, errors for
bad input, and a quick report (a few batches per epoch) as a dict of tables."""
import os

import numpy as np
import pytest

import glassbox as gb


def softmax(z, T):
    e = np.exp((z - z.max(axis=1, keepdims=True)) / T)
    return e / e.sum(axis=1, keepdims=True)


def logits(shape, seed, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("T", [1.0, 3.0, 10.0])
def test_softmax_with_temperature_is_numpys(T):
    z = logits((6, 10), 1)
    p = gb.compress.softmax_with_temperature(z, T)
    assert isinstance(p, np.ndarray) and p.dtype == np.float32 and p.shape == (6, 10)
    np.testing.assert_allclose(p, softmax(z.astype(np.float64), T), rtol=1e-5)


@pytest.mark.parametrize("T", [1.0, 4.0])
def test_soft_target_loss_and_gradient_are_the_formulas(T):
    s, t = logits((5, 7), 2), logits((5, 7), 3)
    ps, pt = softmax(s.astype(np.float64), T), softmax(t.astype(np.float64), T)
    value, grad = gb.compress.soft_target_loss(s, t, T)
    assert value == pytest.approx(T * T * np.sum(pt * (np.log(pt) - np.log(ps))) / 5, rel=1e-5)
    np.testing.assert_allclose(grad, T * (ps - pt) / 5, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(gb.compress.soft_target_grad(s, t, T), grad, rtol=1e-6, atol=1e-8)


def test_distillation_loss_adds_lambda_times_cross_entropy():
    s, t = logits((4, 10), 4), logits((4, 10), 5)
    labels = np.array([3, 0, 9, 3])
    soft, soft_grad = gb.compress.soft_target_loss(s, t, 2.0)
    value, grad = gb.compress.distillation_loss(s, t, labels, 2.0, 0.7)
    p = softmax(s.astype(np.float64), 1.0)
    ce = -np.mean(np.log(p[np.arange(4), labels]))
    assert value == pytest.approx(soft + 0.7 * ce, rel=1e-5)
    onehot = np.eye(10)[labels]
    np.testing.assert_allclose(grad, soft_grad + 0.7 * (p - onehot) / 4, rtol=1e-4, atol=1e-7)


def test_bad_inputs_raise_with_a_message():
    s = logits((2, 3), 6)
    with pytest.raises(Exception, match="temperature"):
        gb.compress.softmax_with_temperature(s, 0.0)
    with pytest.raises(Exception, match="teacher logits shaped"):
        gb.compress.soft_target_loss(s, logits((2, 4), 7), 1.0)
    with pytest.raises(Exception, match="lambda"):
        gb.compress.distillation_loss(s, s, np.array([0, 1]), 1.0, -1.0)
    with pytest.raises(Exception, match="integer class labels"):
        gb.compress.distillation_loss(s, s, np.array([0.0, 1.0]), 1.0, 0.5)
    with pytest.raises(Exception, match="seeds"):
        gb.compress.compress_report(seeds=0)


@pytest.mark.skipif(not os.path.exists("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"),
                    reason="no digits data (python3-sklearn)")
def test_a_quick_report_is_a_dict_of_tables():
    r = gb.compress.compress_report(seed=2, seeds=2, fine_tune_epochs=1, distill_epochs=1, max_batches=2, train_epochs=1)
    assert r["test_examples"] == 359
    methods = {(row["model"], row["method"], row["target"]) for row in r["pruning"]}
    assert ("cnn", "filters L1", 0.5) in methods and ("mlp", "gradual", 0.9) in methods
    assert len(r["pruning"]) == 2 * 2 * 3 + 2 + 1 + 2  # magnitude, filters, gradual, the dense controls
    filters = [row for row in r["pruning"] if row["method"] == "filters L1"]
    assert all(row["parameters"] < r["cnn_cost"]["parameters"] and row["macs"] < r["cnn_cost"]["macs"] for row in filters)
    assert [row["seed"] for row in r["distillation"]] == [2, 3]
    baseline = [row["baseline"] for row in r["distillation"]]
    assert r["baseline_mean"] == pytest.approx(np.mean(baseline))
    assert r["baseline_std"] == pytest.approx(np.std(baseline, ddof=1))
    assert r["text"].startswith("compress-report: seed 2, 359 test digits")
