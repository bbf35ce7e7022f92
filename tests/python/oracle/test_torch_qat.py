"""PyTorch as the oracle of lesson 25 (quantization-aware training): gb.quant.fake_quant's values and
straight-through gradients against torch.fake_quantize_per_tensor_affine and
fake_quantize_per_channel_affine (bit for bit: the same float32 arithmetic and the same boundary
rule), the learned-scale variant against torch._fake_quantize_learnable_per_tensor_affine (LSQ), and
BatchNorm folding against torch.nn.utils.fusion.fuse_conv_bn_eval and PyTorch's own conv + BatchNorm
in eval mode. Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402
from torch.nn.utils.fusion import fuse_conv_bn_eval  # noqa: E402


def inputs(rng, scale, zero_point, qmin, qmax, n=400):
    """Values across the grid and beyond it, plus exact ties (half steps) and the grid's ends."""
    lo, hi = scale * (qmin - zero_point), scale * (qmax - zero_point)
    x = rng.uniform(lo - 0.3 * (hi - lo), hi + 0.3 * (hi - lo), n)
    k = rng.integers(qmin - 3, qmax + 3, 60)
    ties = (k - zero_point + 0.5) * scale
    ends = np.array([lo, hi, lo - scale / 2, hi + scale / 2, lo - 0.51 * scale, hi + 0.49 * scale, 0.0])
    return np.concatenate([x, ties, ends]).astype(np.float32)


def gb_fake_quant(x, seed, *args, **kwargs):
    xg = gb.Tensor(x.copy(), requires_grad=True)
    y = gb.quant.fake_quant(xg, *args, **kwargs)
    y.backward(seed)
    return np.asarray(y), np.asarray(xg.grad)


GRIDS = [  # (scale, zero_point, dtype, restricted, qmin, qmax)
    (3 / 255, 85, "uint8", False, 0, 255),
    (0.1, 128, "uint8", False, 0, 255),
    (0.0173, 0, "uint8", False, 0, 255),
    (2 / 127, 0, "int8", True, -127, 127),
    (0.05, -3, "int8", False, -128, 127),
    (1.0, 0, "int8", False, -128, 127),
]


@pytest.mark.parametrize("scale,zero_point,dtype,restricted,qmin,qmax", GRIDS)
def test_fake_quant_per_tensor_values_and_ste_gradient(scale, zero_point, dtype, restricted, qmin, qmax):
    rng = np.random.default_rng(int(scale * 1e4) + zero_point + 1000)
    x = inputs(rng, scale, zero_point, qmin, qmax)
    seed = rng.standard_normal(x.shape).astype(np.float32)
    yg, gg = gb_fake_quant(x, seed, scale, zero_point, dtype=dtype, restricted=restricted)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.fake_quantize_per_tensor_affine(xt, scale, zero_point, qmin, qmax)
    yt.backward(torch.from_numpy(seed))
    np.testing.assert_array_equal(yg, yt.detach().numpy(), err_msg="values")
    np.testing.assert_array_equal(gg, xt.grad.numpy(), err_msg="straight-through gradient")
    # The mask on its own, and the NumPy twin of the op (no tape) agree too.
    np.testing.assert_array_equal(np.asarray(gb.quant.ste_mask(x, scale, zero_point, dtype=dtype, restricted=restricted)),
                                  (xt.grad.numpy() != 0) | (seed == 0))


@pytest.mark.parametrize("axis", [0, 1])
def test_fake_quant_per_channel_values_and_ste_gradient(axis):
    rng = np.random.default_rng(7 + axis)
    w = (rng.standard_normal((6, 5, 3, 3)) * rng.uniform(0.1, 3, (6, 1, 1, 1))).astype(np.float32)
    w = np.moveaxis(w, 0, axis).copy() if axis else w
    channels = w.shape[axis]
    amax = np.abs(np.moveaxis(w, axis, 0).reshape(channels, -1)).max(axis=1)
    scale = (amax / 127 * rng.uniform(0.5, 1.0, channels)).astype(np.float32)  # some values clip
    zero_point = rng.integers(-5, 6, channels).astype(np.int32)
    seed = rng.standard_normal(w.shape).astype(np.float32)
    yg, gg = gb_fake_quant(w, seed, scale, zero_point, dtype="int8", axis=axis)
    wt = torch.tensor(w, requires_grad=True)
    yt = torch.fake_quantize_per_channel_affine(wt, torch.from_numpy(scale), torch.from_numpy(zero_point), axis, -128, 127)
    yt.backward(torch.from_numpy(seed))
    np.testing.assert_array_equal(yg, yt.detach().numpy(), err_msg="values")
    np.testing.assert_array_equal(gg, wt.grad.numpy(), err_msg="straight-through gradient")
    assert (gg == 0).any() and (gg != 0).any(), "some values clip, most do not"


def test_fake_quant_learned_scale_is_lsq():
    rng = np.random.default_rng(11)
    for scale, zero_point, qmin, qmax, factor in [(0.05, 0, 0, 255, 1.0), (0.2, 3, -128, 127, 0.01), (0.5, 10, 0, 255, 0.3)]:
        x = inputs(rng, scale, zero_point, qmin, qmax, n=300)
        seed = rng.standard_normal(x.shape).astype(np.float32)
        xg = gb.Tensor(x.copy(), requires_grad=True)
        sg = gb.Tensor(np.array([scale], dtype=np.float32), requires_grad=True)
        yg = gb.quant.fake_quantize_learned(xg, sg, zero_point, qmin, qmax, grad_factor=factor)
        yg.backward(seed)
        xt = torch.tensor(x, requires_grad=True)
        st = torch.tensor([scale], dtype=torch.float32, requires_grad=True)
        zt = torch.tensor([float(zero_point)], requires_grad=True)
        yt = torch._fake_quantize_learnable_per_tensor_affine(xt, st, zt, qmin, qmax, factor)
        yt.backward(torch.from_numpy(seed))
        np.testing.assert_array_equal(np.asarray(yg), yt.detach().numpy(), err_msg="values")
        np.testing.assert_array_equal(np.asarray(xg.grad), xt.grad.numpy(), err_msg="input gradient")
        np.testing.assert_allclose(np.asarray(sg.grad), st.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg="scale gradient")


def test_fake_quant_nan_is_an_error():
    with pytest.raises(gb.Error):
        gb.quant.fake_quant(np.array([1.0, np.nan], dtype=np.float32), 0.1, 0)


def random_bn(rng, channels):
    bn = torch.nn.BatchNorm2d(channels, eps=1e-5)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, channels).astype(np.float32)))
        bn.bias.copy_(torch.from_numpy(rng.uniform(-1, 1, channels).astype(np.float32)))
        bn.running_mean.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, channels).astype(np.float32)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.05, 3.0, channels).astype(np.float32)))
    return bn.eval()


@pytest.mark.parametrize("bias", [True, False])
def test_batch_norm_folding_matches_fuse_conv_bn_eval(bias):
    rng = np.random.default_rng(3 + bias)
    torch.manual_seed(3)
    conv = torch.nn.Conv2d(4, 6, 3, padding=1, bias=bias).eval()
    bn = random_bn(rng, 6)
    fused = fuse_conv_bn_eval(conv, bn)
    w, b = gb.quant.fold_batch_norm(conv.weight.detach().numpy(), conv.bias.detach().numpy() if bias else None,
                                    bn.weight.detach().numpy(), bn.bias.detach().numpy(), bn.running_mean.numpy(),
                                    bn.running_var.numpy(), eps=bn.eps)
    np.testing.assert_allclose(np.asarray(w), fused.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(b), fused.bias.detach().numpy(), rtol=1e-6, atol=1e-6)
    # The folded convolution is conv then BatchNorm (eval), on PyTorch's own layers.
    x = rng.standard_normal((2, 4, 7, 7)).astype(np.float32)
    with torch.no_grad():
        reference = bn(conv(torch.from_numpy(x))).numpy()
        folded = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(np.asarray(w)),
                                            torch.from_numpy(np.asarray(b)), padding=1).numpy()
    np.testing.assert_allclose(folded, reference, rtol=1e-5, atol=1e-5)


def test_batch_norm_folding_matches_the_intrinsic_conv_bn_module():
    """torch.ao.nn.intrinsic's ConvBn2d (the QAT-ready fused module) folded for inference gives the same W', b'."""
    intrinsic = pytest.importorskip("torch.ao.nn.intrinsic")
    rng = np.random.default_rng(5)
    conv = torch.nn.Conv2d(3, 8, 3, bias=True).eval()
    bn = random_bn(rng, 8)
    fused_module = intrinsic.ConvBn2d(conv, bn)
    reference = fuse_conv_bn_eval(fused_module[0], fused_module[1])
    w, b = gb.quant.fold_batch_norm(conv.weight.detach().numpy(), conv.bias.detach().numpy(), bn.weight.detach().numpy(),
                                    bn.bias.detach().numpy(), bn.running_mean.numpy(), bn.running_var.numpy())
    np.testing.assert_allclose(np.asarray(w), reference.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(b), reference.bias.detach().numpy(), rtol=1e-6, atol=1e-6)
