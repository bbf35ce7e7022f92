"""PyTorch as the oracle of the scalar half of autodiff (DESIGN.md section 7): gradients and Hessians
of random expressions of the language, at random points, by torch.autograd, against all four modes
of glassbox. The same text is evaluated by torch (with ^ read as **). Skipped when torch is missing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

CASES = 150
NAMES = ["x1", "x2", "x3"]
# A function of a constant sub-expression gets a Python float: make it a tensor first.
TORCH_FUNCTIONS = {name: (lambda fn: lambda v: fn(torch.as_tensor(v, dtype=torch.float64)))(getattr(torch, name))
                   for name in ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"]}


def random_expression(rng, depth):
    """A random expression defined (and smooth) for any real inputs."""
    if depth == 0:
        return f"{rng.integers(1, 4)}.5" if rng.random() < 0.25 else NAMES[rng.integers(0, 3)]
    a, b = random_expression(rng, depth - 1), random_expression(rng, depth - 1)
    return [
        f"({a} + {b})", f"({a} - {b})", f"{a} * {b}", f"{a} / (2 + sin({b}))", f"({a})^2", f"sin({a})",
        f"cos({a})", f"exp(tanh({a}))", f"log(1 + ({a})^2)", f"sqrt(1 + ({a})^2)", f"sigmoid({a})",
        f"-tanh({a} * {b})", f"tan(0.5 * sin({a}))", f"(1.5 + sin({a}))^({b})", f"relu({a}) + abs({b})",
    ][rng.integers(0, 15)]


def torch_function(expr, names):
    code = compile(expr.replace("^", "**"), "<expr>", "eval")

    def f(*xs):
        return eval(code, {"__builtins__": {}}, dict(TORCH_FUNCTIONS, **dict(zip(names, xs))))  # noqa: S307
    return f


def cases():
    rng = np.random.default_rng(42)
    for k in range(CASES):
        expr = random_expression(rng, 1 + k % 4)
        names = gb.autodiff.variables(expr)
        point = {n: float(rng.uniform(-1.5, 1.5)) for n in names}
        yield expr, names, point


def test_gradients_agree_with_torch_in_every_mode():
    for expr, names, point in cases():
        if not names:  # a constant expression: torch has nothing to differentiate
            continue
        xs = [torch.tensor(point[n], dtype=torch.float64, requires_grad=True) for n in names]
        y = torch_function(expr, names)(*xs)
        expected = torch.autograd.grad(y, xs, allow_unused=True)
        expected = [0.0 if g is None else g.item() for g in expected]
        for mode in gb.autodiff.MODES:
            value, grads = gb.autodiff.grad(expr, point, mode=mode)
            assert value == pytest.approx(y.item(), rel=1e-12, abs=1e-12), expr
            assert list(grads) == names
            tol = 1e-6 if mode == "numeric" else 1e-11
            if mode == "numeric" and ("relu" in expr or "abs" in expr):
                continue  # a kink inside the difference step would be a legitimate disagreement
            np.testing.assert_allclose(list(grads.values()), expected, rtol=tol, atol=tol, err_msg=f"{expr} {mode}")


def test_hessians_agree_with_torch():
    for expr, names, point in cases():
        if not names:
            continue
        x = tuple(torch.tensor(point[n], dtype=torch.float64) for n in names)
        expected = torch.autograd.functional.hessian(torch_function(expr, names), x)
        expected = np.array([[expected[i][j].item() for j in range(len(names))] for i in range(len(names))])
        np.testing.assert_allclose(gb.autodiff.hessian(expr, point), expected, rtol=1e-10, atol=1e-10, err_msg=expr)
