"""PyTorch as the oracle of gb.nn's layers and losses (lesson 01): every layer, with the same weights
(copied through state_dict, which checks that the names and shapes are torch's), gives torch.nn's
output, input gradient and parameter gradients on random inputs; BatchNorm also its running
statistics; the losses their values and gradients. Float32 throughout, like the layers. Skipped when
torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional
tnn = torch.nn

import glassbox as gb  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-5)


def to_torch(gb_module, torch_module):
    """Copies gb's parameters and buffers into the torch module (strict: the same keys and shapes)."""
    state = {k: torch.from_numpy(v) for k, v in gb_module.state_dict().items()}
    torch_module.load_state_dict(state, strict=True)
    return torch_module


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def run_both(gb_module, torch_module, x, rng, tol=TOL):
    """Forward and backward (a random seed gradient) through both; outputs, input gradients and
    every parameter's gradient must agree, name by name."""
    xg = gb.Tensor(x.copy(), requires_grad=True)
    xt = torch.tensor(x.copy(), requires_grad=True)
    yg, yt = gb_module(xg), torch_module(xt)
    np.testing.assert_allclose(np.asarray(yg), yt.detach().numpy(), **tol, err_msg="output")
    seed = f32(rng, *yt.shape)
    yg.backward(seed)
    yt.backward(torch.from_numpy(seed))
    np.testing.assert_allclose(np.asarray(xg.grad), xt.grad.numpy(), **tol, err_msg="input gradient")
    torch_params = dict(torch_module.named_parameters())
    gb_params = gb_module.named_parameters()
    assert [name for name, _ in gb_params] == list(torch_params), "parameter names"
    for name, p in gb_params:
        np.testing.assert_allclose(np.asarray(p.grad), torch_params[name].grad.numpy(), **tol, err_msg=name)
    return yg, yt


def check_buffers(gb_module, torch_module):
    torch_state = torch_module.state_dict()
    for name, value in gb_module.state_dict().items():
        np.testing.assert_allclose(value, torch_state[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


# --- layers with parameters ----------------------------------------------------------------------------

def test_linear():
    rng = np.random.default_rng(1)
    for n, fan_in, out, bias in [(1, 1, 1, True), (5, 7, 3, True), (64, 128, 10, True), (9, 16, 4, False)]:
        layer = gb.nn.Linear(fan_in, out, bias=bias, seed=n)
        run_both(layer, to_torch(layer, tnn.Linear(fan_in, out, bias=bias)), f32(rng, n, fan_in), rng)


CONV_CASES = [  # in, out, kernel, stride, padding, dilation, groups, bias, input size
    (1, 16, 3, 1, 1, 1, 1, True, (8, 8)),
    (16, 32, 3, 1, 1, 1, 1, True, (4, 4)),
    (3, 4, 3, 2, 0, 1, 1, True, (9, 8)),
    (2, 3, 3, (2, 1), (1, 2), 1, 1, True, (7, 9)),
    (2, 3, 3, 1, 2, 2, 1, False, (9, 9)),
    (4, 6, 3, 1, 1, (1, 2), 2, True, (6, 8)),
    (6, 3, 3, 2, 1, 1, 3, False, (7, 7)),
    (4, 4, 3, 1, 1, 1, 4, True, (7, 6)),  # depthwise
    (3, 6, 5, 2, 2, 1, 3, True, (9, 9)),  # depthwise, 2 filters per channel
    (5, 7, 1, 1, 0, 1, 1, True, (4, 3)),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[f"conv{i}" for i in range(len(CONV_CASES))])
def test_conv2d(case):
    ic, oc, k, stride, padding, dilation, groups, bias, (h, w) = case
    rng = np.random.default_rng(CONV_CASES.index(case))
    layer = gb.nn.Conv2d(ic, oc, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, seed=3)
    torch_layer = tnn.Conv2d(ic, oc, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    for batch in (1, 3, 16):
        layer.zero_grad()
        torch_layer.zero_grad()
        run_both(layer, to_torch(layer, torch_layer), f32(rng, batch, ic, h, w), rng)


def test_conv2d_functional_asymmetric_padding():
    rng = np.random.default_rng(2)
    for top, left, bottom, right in [(1, 0, 2, 1), (0, 2, 0, 0), (2, 1, 0, 3)]:
        x, w, b = f32(rng, 2, 4, 7, 6), f32(rng, 6, 2, 3, 2), f32(rng, 6)
        xg, wg, bg = (gb.Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
        xt, wt, bt = (torch.tensor(a.copy(), requires_grad=True) for a in (x, w, b))
        yg = gb.nn.conv2d(xg, wg, bg, stride=(2, 1), padding=(top, left, bottom, right), dilation=(1, 2), groups=2)
        yt = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, bt, stride=(2, 1), dilation=(1, 2), groups=2)
        np.testing.assert_allclose(np.asarray(yg), yt.detach().numpy(), **TOL)
        seed = f32(rng, *yt.shape)
        yg.backward(seed)
        yt.backward(torch.from_numpy(seed))
        for g, t in zip((xg, wg, bg), (xt, wt, bt)):
            np.testing.assert_allclose(np.asarray(g.grad), t.grad.numpy(), **TOL)


@pytest.mark.parametrize("spatial,shape", [(False, (16, 5)), (False, (6, 5, 7)), (True, (4, 5, 6, 6)), (True, (32, 5, 1, 1))])
def test_batch_norm_training_then_eval(spatial, shape):
    rng = np.random.default_rng(3)
    c = shape[1]
    layer = gb.nn.BatchNorm2d(c, momentum=0.2) if spatial else gb.nn.BatchNorm1d(c, eps=1e-3)
    torch_layer = tnn.BatchNorm2d(c, momentum=0.2) if spatial else tnn.BatchNorm1d(c, eps=1e-3)
    with torch.no_grad():  # weights other than 1 and 0, so that gamma and beta matter
        torch_layer.weight.uniform_(0.5, 1.5)
        torch_layer.bias.uniform_(-0.5, 0.5)
    layer.load_state_dict({k: v.numpy() for k, v in torch_layer.state_dict().items()})
    for step in range(3):  # training: batch statistics, running statistics updated, counter + 1
        layer.zero_grad()
        torch_layer.zero_grad()
        run_both(layer, torch_layer, f32(rng, *shape, scale=2.0) + step, rng, tol=dict(rtol=1e-4, atol=1e-4))
        check_buffers(layer, torch_layer)
    assert layer.state_dict()["num_batches_tracked"] == 3
    layer.eval()
    torch_layer.eval()
    layer.zero_grad()
    torch_layer.zero_grad()
    run_both(layer, torch_layer, f32(rng, *shape), rng)
    check_buffers(layer, torch_layer)


def test_batch_norm_functional_updates_numpy_running_statistics_in_place():
    rng = np.random.default_rng(4)
    x, weight, bias = f32(rng, 8, 3, 4, 4), f32(rng, 3), f32(rng, 3)
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    tmean, tvar = torch.zeros(3), torch.ones(3)
    y = gb.nn.batch_norm(x, mean, var, weight, bias, training=True, momentum=0.3)
    yt = F.batch_norm(torch.from_numpy(x), tmean, tvar, torch.from_numpy(weight), torch.from_numpy(bias), training=True,
                      momentum=0.3)
    np.testing.assert_allclose(np.asarray(y), yt.numpy(), **TOL)
    np.testing.assert_allclose(mean, tmean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, tvar.numpy(), rtol=1e-5, atol=1e-6)


# --- layers without parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ReLU", "GELU", "Sigmoid", "Tanh", "Flatten"])
def test_activations_and_flatten(name):
    rng = np.random.default_rng(5)
    torch_layer = tnn.GELU(approximate="tanh") if name == "GELU" else getattr(tnn, name)()
    run_both(getattr(gb.nn, name)(), torch_layer, f32(rng, 4, 3, 5, 2, scale=3.0), rng)


POOL_CASES = [  # kernel, stride, padding, dilation, ceil_mode, input size
    (2, None, 0, 1, False, (8, 8)),
    (3, 1, 0, 1, False, (6, 5)),
    (3, 2, 1, 1, False, (7, 7)),
    (2, 2, 0, 1, True, (7, 6)),
    (3, 2, 1, 1, True, (6, 7)),
    ((2, 3), (2, 1), (1, 1), 1, False, (5, 6)),
    (3, 2, 1, 2, False, (9, 8)),
    (2, 2, 1, (2, 1), True, (9, 9)),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[f"pool{i}" for i in range(len(POOL_CASES))])
def test_max_pool2d(case):
    kernel, stride, padding, dilation, ceil_mode, (h, w) = case
    rng = np.random.default_rng(6)
    layer = gb.nn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    torch_layer = tnn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    run_both(layer, torch_layer, f32(rng, 2, 3, h, w), rng)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[3] == 1], ids=[f"pool{i}" for i, c in enumerate(POOL_CASES) if c[3] == 1])
def test_avg_pool2d(case, count_include_pad):
    kernel, stride, padding, _, ceil_mode, (h, w) = case
    rng = np.random.default_rng(7)
    layer = gb.nn.AvgPool2d(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    torch_layer = tnn.AvgPool2d(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                                count_include_pad=count_include_pad)
    run_both(layer, torch_layer, f32(rng, 2, 3, h, w), rng)


def test_dropout():
    rng = np.random.default_rng(8)
    x = f32(rng, 40, 50)
    run_both(gb.nn.Dropout(0.0), tnn.Dropout(0.0), x, rng)  # p = 0: the identity
    for p in (0.2, 0.5, 0.9):
        xg = gb.Tensor(x.copy(), requires_grad=True)
        y = gb.nn.Dropout(p, seed=11)(xg)
        kept = np.asarray(y) != 0
        np.testing.assert_allclose(np.asarray(y)[kept], x[kept] / (1 - p), rtol=1e-6)  # scaled by 1 / (1 - p)
        assert abs(1 - kept.mean() - p) < 0.03
        seed = f32(rng, 40, 50)
        y.backward(seed)
        np.testing.assert_allclose(np.asarray(xg.grad), np.where(kept, seed / (1 - p), 0), rtol=1e-6)
        dropout = gb.nn.Dropout(p)
        dropout.eval()
        np.testing.assert_array_equal(np.asarray(dropout(x)), tnn.Dropout(p).eval()(torch.from_numpy(x)).numpy())


# --- a model: the digits CNN of lesson 01 ---------------------------------------------------------------

def digits_cnn(seed):
    return gb.nn.Sequential([
        gb.nn.Conv2d(1, 16, 3, padding=1, seed=seed), gb.nn.BatchNorm2d(16), gb.nn.ReLU(), gb.nn.MaxPool2d(2),
        gb.nn.Conv2d(16, 32, 3, padding=1, seed=seed + 1), gb.nn.BatchNorm2d(32), gb.nn.ReLU(), gb.nn.MaxPool2d(2),
        gb.nn.Flatten(), gb.nn.Dropout(0.0), gb.nn.Linear(128, 10, seed=seed + 2)])


def torch_digits_cnn():
    return tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Dropout(0.0), tnn.Linear(128, 10))


def test_sequential_digits_cnn_with_cross_entropy():
    rng = np.random.default_rng(9)
    model = digits_cnn(0)
    torch_model = to_torch(model, torch_digits_cnn())
    for step in range(2):
        x, labels = f32(rng, 64, 1, 8, 8), rng.integers(0, 10, 64)
        model.zero_grad()
        torch_model.zero_grad()
        loss = gb.nn.cross_entropy(model(x), labels)
        torch_loss = F.cross_entropy(torch_model(torch.from_numpy(x)), torch.from_numpy(labels))
        np.testing.assert_allclose(float(np.asarray(loss)), torch_loss.item(), rtol=1e-5)
        loss.backward()
        torch_loss.backward()
        torch_params = dict(torch_model.named_parameters())
        for name, p in model.named_parameters():
            np.testing.assert_allclose(np.asarray(p.grad), torch_params[name].grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)
        check_buffers(model, torch_model)
    model.eval()
    torch_model.eval()
    x = f32(rng, 5, 1, 8, 8)
    np.testing.assert_allclose(np.asarray(model(x)), torch_model(torch.from_numpy(x)).detach().numpy(), **TOL)


def test_state_dicts_go_both_ways_and_defaults_have_torchs_distribution():
    torch.manual_seed(0)  # torch's default initialisation draws from its global generator
    torch_model = torch_digits_cnn().eval()
    model = digits_cnn(5)
    model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    model.eval()
    x = f32(np.random.default_rng(10), 3, 1, 8, 8)
    np.testing.assert_allclose(np.asarray(model(x)), torch_model(torch.from_numpy(x)).detach().numpy(), **TOL)
    # Default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, like torch.
    for gb_layer, torch_layer in [(gb.nn.Linear(400, 300, seed=1), tnn.Linear(400, 300)),
                                  (gb.nn.Conv2d(16, 64, 5, seed=2), tnn.Conv2d(16, 64, 5))]:
        weight = torch_layer.weight.detach().numpy()
        bound = 1 / np.sqrt(weight.size / weight.shape[0])  # fan_in = in (* KH * KW)
        for (name, p), (_, t) in zip(gb_layer.named_parameters(), torch_layer.named_parameters()):
            ours, theirs = np.asarray(p), t.detach().numpy()
            assert np.abs(ours).max() <= bound and np.abs(theirs).max() <= bound, name
            # Both have the standard deviation of U(-bound, bound), bound / sqrt(3), up to sampling: the
            # sample std of n uniform draws has a relative standard error of sqrt(0.8 / (4 n)) (kurtosis
            # 1.8), so each is held to 5 standard errors (a 64-entry bias: 28%; a weight: under 2%).
            sigma, tol = bound / np.sqrt(3), 5 * np.sqrt(0.8 / (4 * ours.size))
            assert abs(ours.std() / sigma - 1) < tol and abs(theirs.std() / sigma - 1) < tol, name


# --- losses -----------------------------------------------------------------------------------------------

def test_losses():
    rng = np.random.default_rng(11)
    for n, c in [(1, 2), (7, 5), (64, 10)]:
        cases = [
            ("mse_loss", (f32(rng, n, c), f32(rng, n, c)), lambda a, b: F.mse_loss(a, b)),
            ("cross_entropy", (f32(rng, n, c, scale=3.0),), None),
            ("kl_div", (np.log(rng.dirichlet(np.ones(c), n)).astype(np.float32), rng.dirichlet(np.ones(c), n).astype(np.float32)),
             lambda a, b: F.kl_div(a, b, reduction="batchmean")),
        ]
        labels = rng.integers(0, c, n)
        for name, arrays, torch_fn in cases:
            gb_in = [gb.Tensor(a.copy(), requires_grad=True) for a in arrays]
            torch_in = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
            if name == "cross_entropy":
                loss = gb.nn.cross_entropy(gb_in[0], labels)
                torch_loss = F.cross_entropy(torch_in[0], torch.from_numpy(labels))
            else:
                loss = getattr(gb.nn, name)(*gb_in)
                torch_loss = torch_fn(*torch_in)
            np.testing.assert_allclose(float(np.asarray(loss)), torch_loss.item(), rtol=1e-5, atol=1e-6, err_msg=name)
            loss.backward()
            torch_loss.backward()
            for g, t in zip(gb_in, torch_in):
                np.testing.assert_allclose(np.asarray(g.grad), t.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)
            assert gb.nn.accuracy(np.asarray(gb_in[0]), labels) == (torch_in[0].argmax(1).numpy() == labels).mean()


def test_bad_input_is_a_glassbox_error():
    with pytest.raises(gb.Error, match="linear.*\\[N, 64\\].*\\[4, 63\\]"):
        gb.nn.Linear(64, 10)(np.zeros((4, 63), np.float32))
    with pytest.raises(gb.Error, match="cross_entropy.*\\[0, 10\\)"):
        gb.nn.cross_entropy(np.zeros((2, 10), np.float32), np.array([3, 10]))
    with pytest.raises(gb.Error, match="conv2d.*f32"):
        gb.nn.Conv2d(1, 2, 3)(np.zeros((1, 1, 5, 5)))
    with pytest.raises(gb.Error, match="load_state_dict"):
        gb.nn.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3), np.float32)})
