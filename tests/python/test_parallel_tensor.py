"""gb.parallel.tp_mlp (lesson 13): Megatron's MLP on simulated tensor-parallel ranks, against PyTorch's
autograd on the unsplit weights (an oracle we did not write) and the ring's published volume."""
import numpy as np
import pytest
import torch

import glassbox as gb


def weights(h, f, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, s, shape).astype(np.float32) for s, shape in
            ((0.3, (h, f)), (0.1, (f,)), (0.3, (f, h)), (0.1, (h,)))]


@pytest.mark.parametrize("tp", [1, 2, 4])
def test_tp_mlp_equals_torch_on_one_device(tp):
    n, h, f = 6, 8, 32
    a, a_bias, b, b_bias = weights(h, f, tp)
    rng = np.random.default_rng(10 + tp)
    x = rng.normal(size=(n, h)).astype(np.float32)
    g = rng.normal(size=(n, h)).astype(np.float32)
    r = gb.parallel.tp_mlp(x, a, a_bias, b, b_bias, tp=tp, grad_output=g)

    tx, ta, tab, tb, tbb = (torch.tensor(v, requires_grad=True) for v in (x, a, a_bias, b, b_bias))
    z = torch.nn.functional.gelu(tx @ ta + tab, approximate="tanh") @ tb + tbb
    z.backward(torch.tensor(g))
    for got, want in ((r["output"], z), (r["grad_input"], tx.grad), (r["grad_a"], ta.grad), (r["grad_a_bias"], tab.grad),
                      (r["grad_b"], tb.grad), (r["grad_b_bias"], tbb.grad)):
        want = want.detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert r["all_reduces"] == 2  # g forward, f backward
    # Each all-reduce of the [n, h] f32 activation: 2 (t - 1) / t of its bytes per rank.
    assert r["bytes_sent"] == [2 * 2 * (tp - 1) * n * h * 4 // tp] * tp
    assert r["parameter_bytes"] == [(2 * h * f + f) // tp * 4 + h * 4] * tp


def test_tp_mlp_time_compute_shrinks_and_cross_node_links_cost_more():
    one = gb.parallel.tp_mlp_time(tokens=1024, hidden=1024, ffn=4096, tp=1)
    for tp in (2, 4, 8):
        inside = gb.parallel.tp_mlp_time(tokens=1024, hidden=1024, ffn=4096, tp=tp)
        across = gb.parallel.tp_mlp_time(tokens=1024, hidden=1024, ffn=4096, tp=tp, across_nodes=True)
        assert inside["compute_seconds"][0] * tp == pytest.approx(one["compute_seconds"][0], rel=0.01)
        assert inside["bytes_sent"] == across["bytes_sent"]
        assert across["communication_seconds"][0] > 4 * inside["communication_seconds"][0]


def test_bad_splits_are_errors():
    a, a_bias, b, b_bias = weights(8, 6, 0)
    with pytest.raises(Exception, match="dividing"):
        gb.parallel.tp_mlp(np.zeros((2, 8), np.float32), a, a_bias, b, b_bias, tp=4)
