"""PyTorch as the oracle of lesson 01's optimizers: gb.nn.SGD (momentum, dampening, nesterov, weight
decay), Adam and AdamW take the same steps as torch.optim on random parameters and gradients, in float64
(to ~1e-13) and float32 (to float rounding), including parameters that get no gradient on some steps;
StepLR and CosineAnnealingLR give torch.optim.lr_scheduler's rates epoch by epoch. Skipped without torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

SHAPES = [(3, 4), (5,), (2, 1, 3)]
STEPS = 8


def run_both(make_gb, make_torch, dtype, seed, skip=None):
    """Runs STEPS steps in glassbox and torch from the same values and gradients; returns both params.
    skip(step, i) -> True leaves parameter i without a gradient at that step (both frameworks skip it)."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    ours = make_gb([p.copy() for p in start])
    theirs_params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    theirs = make_torch(theirs_params)
    for t in range(STEPS):
        skipped = [skip is not None and skip(t, i) for i in range(len(SHAPES))]
        ours.step([None if skipped[i] else g for i, g in enumerate(grads[t])])
        theirs.zero_grad(set_to_none=True)
        for i, (p, g) in enumerate(zip(theirs_params, grads[t])):
            if not skipped[i]:
                p.grad = torch.tensor(g)
        theirs.step()
    return [np.array(p) for p in ours.params], [p.detach().numpy() for p in theirs_params]


def assert_same(ours, theirs, dtype):
    rtol, atol = (1e-12, 1e-13) if dtype == np.float64 else (2e-5, 2e-6)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.2),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.02, momentum=0.8, weight_decay=0.1),
    dict(lr=0.02, momentum=0.95, nesterov=True, weight_decay=0.01),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", SGD_CASES, ids=lambda o: "-".join(f"{k}{v}" for k, v in o.items()))
def test_sgd_agrees_with_torch(options, dtype):
    ours, theirs = run_both(lambda p: gb.nn.SGD(p, **options), lambda p: torch.optim.SGD(p, **options), dtype, seed=1)
    assert_same(ours, theirs, dtype)


ADAM_CASES = [
    dict(lr=1e-2),
    dict(lr=3e-3, betas=(0.8, 0.99)),
    dict(lr=1e-2, eps=1e-4, weight_decay=0.05),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", ADAM_CASES, ids=str)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_and_adamw_agree_with_torch(name, options, dtype):
    ours, theirs = run_both(lambda p: getattr(gb.nn, name)(p, **options),
                            lambda p: getattr(torch.optim, name)(p, **options), dtype, seed=2)
    assert_same(ours, theirs, dtype)


def test_adamw_default_weight_decay_is_torchs():
    ours, theirs = run_both(lambda p: gb.nn.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01), np.float64, 3)
    assert_same(ours, theirs, np.float64)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_parameters_without_a_gradient_are_skipped_like_torch(name):
    options = dict(lr=0.05, momentum=0.9) if name == "SGD" else dict(lr=0.01)
    skip = lambda t, i: (t + i) % 3 == 0  # noqa: E731
    ours, theirs = run_both(lambda p: getattr(gb.nn, name)(p, **options),
                            lambda p: getattr(torch.optim, name)(p, **options), np.float64, seed=4, skip=skip)
    assert_same(ours, theirs, np.float64)


def test_state_dict_holds_torchs_state():
    rng = np.random.default_rng(5)
    p = rng.standard_normal((4,))
    ours = gb.nn.Adam([p.copy()], lr=0.01)
    tp = torch.tensor(p, requires_grad=True)
    theirs = torch.optim.Adam([tp], lr=0.01)
    for _ in range(3):
        g = rng.standard_normal((4,))
        ours.step([g])
        tp.grad = torch.tensor(g)
        theirs.step()
    state, torch_state = ours.state_dict(), theirs.state_dict()["state"][0]
    np.testing.assert_allclose(state["state.0.exp_avg"], torch_state["exp_avg"].numpy(), rtol=1e-13)
    np.testing.assert_allclose(state["state.0.exp_avg_sq"], torch_state["exp_avg_sq"].numpy(), rtol=1e-13)
    assert int(state["state.0.step"]) == int(torch_state["step"])


def schedule_rates(make_gb, make_torch, epochs=25, lr=0.1):
    ours_opt = gb.nn.SGD([np.zeros(1)], lr=lr)
    ours = make_gb(ours_opt)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    theirs = make_torch(theirs_opt)
    a, b = [ours.get_last_lr()[0]], [theirs.get_last_lr()[0]]
    for _ in range(epochs):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        a.append(ours.get_last_lr()[0])
        b.append(theirs.get_last_lr()[0])
    return a, b


@pytest.mark.parametrize("step_size,gamma", [(1, 0.9), (3, 0.3), (10, 0.5)])
def test_step_lr_agrees_with_torch(step_size, gamma):
    ours, theirs = schedule_rates(lambda o: gb.nn.StepLR(o, step_size, gamma),
                                  lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma))
    assert ours == theirs  # the same recurrence: equal to the last bit


@pytest.mark.parametrize("t_max,eta_min", [(7, 0.0), (7, 0.01), (1, 0.001), (12, 0.05)])
def test_cosine_annealing_agrees_with_torch(t_max, eta_min):
    ours, theirs = schedule_rates(lambda o: gb.nn.CosineAnnealingLR(o, t_max, eta_min),
                                  lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, t_max, eta_min))
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_digits_mlp_training_steps_agree_with_torch(name):
    """The whole step of lesson 01 (forward, cross-entropy, backward, optimizer) on real digits: the same
    losses and weights as torch.nn with the same initial state_dict."""
    data = gb.nn.digits_split(seed=0)
    model = gb.nn.digits_mlp(seed=0)
    reference = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    options = dict(lr=0.05, momentum=0.9, nesterov=True) if name == "SGD" else dict(lr=3e-3)
    params = model if name == "SGD" else model.parameters()  # a Module, or its Variables as in torch
    ours, theirs = getattr(gb.nn, name)(params, **options), getattr(torch.optim, name)(reference.parameters(), **options)
    for step in range(6):
        x = data["train_images"][32 * step:32 * (step + 1)]
        y = data["train_labels"][32 * step:32 * (step + 1)]
        loss = gb.nn.cross_entropy(model(x), y)
        ours.zero_grad()
        loss.backward()
        ours.step()
        torch_loss = torch.nn.functional.cross_entropy(reference(torch.tensor(x)), torch.tensor(y))
        theirs.zero_grad()
        torch_loss.backward()
        theirs.step()
        assert float(np.asarray(loss)) == pytest.approx(torch_loss.item(), rel=1e-5)
    for key, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key], value.numpy(), rtol=1e-4, atol=1e-5, err_msg=key)
