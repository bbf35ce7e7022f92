"""gb.autodiff: scalar expressions differentiated in four modes (lessons 02-04). The golden numbers
of the course, the Hessian of known functions, and clear errors."""
import math

import numpy as np
import pytest

import glassbox as gb

GOLDEN = "log(x1) + x1*x2 - sin(x2)"


@pytest.mark.parametrize("mode", ["numeric", "symbolic", "forward", "reverse"])
def test_golden_example_in_every_mode(mode):
    value, grads = gb.autodiff.grad(GOLDEN, {"x1": 2, "x2": 5}, mode=mode)
    assert list(grads) == ["x1", "x2"]  # the order the variables first appear
    assert value == pytest.approx(11.652071, abs=1e-6)
    assert grads["x1"] == pytest.approx(5.5, abs=1e-8)
    assert grads["x2"] == pytest.approx(2 - math.cos(5), abs=1e-8)
    _, twice = gb.autodiff.grad("(x + 1 - 2*x)^2", {"x": 3}, mode=mode)
    assert twice["x"] == pytest.approx(4, abs=1e-8)


def test_default_mode_is_reverse_and_exact():
    _, grads = gb.autodiff.grad(GOLDEN, {"x1": 2, "x2": 5})
    assert grads["x1"] == 5.5


def test_hessian_of_known_functions():
    h = gb.autodiff.hessian(GOLDEN, {"x1": 2, "x2": 5})
    assert isinstance(h, np.ndarray) and h.shape == (2, 2)
    np.testing.assert_allclose(h, [[-0.25, 1], [1, math.sin(5)]], atol=1e-14)
    rosenbrock = gb.autodiff.hessian("(1 - x)^2 + 100*(y - x^2)^2", {"x": 1.2, "y": 0.7})
    np.testing.assert_allclose(rosenbrock, [[2 - 400 * 0.7 + 1200 * 1.44, -480], [-480, 200]], atol=1e-10)
    assert gb.autodiff.hessian("2 + 3", {}).shape == (0, 0)


def test_symbolic_derivative_and_swell():
    assert gb.autodiff.derivative("x^3", "x") == "3 * x ^ 2"
    assert gb.autodiff.derivative("x * y", "x", simplify=False) == "1 * y + x * 0"
    assert gb.autodiff.variables("b + a * b") == ["b", "a"]
    rows = gb.autodiff.swell(5)
    assert [r["expression_nodes"] for r in rows] == [1, 7, 19, 43, 91]
    assert [r["graph_nodes"] for r in rows] == [1, 6, 11, 16, 21]


@pytest.mark.parametrize("expr, point, message", [
    ("log(x1 + 1", {"x1": 2}, "parse: expected ')' at 1:11"),
    ("foo(x)", {"x": 1}, "a known function"),
    ("x1 + x3", {"x1": 1}, "a value for every variable"),
    ("log(x)", {"x": -2}, "log: expected a positive argument (at 1:1), given -2"),
    ("sqrt(x)", {"x": -1}, "sqrt: expected an argument >= 0"),
    ("1 / x", {"x": 0}, "/: expected a nonzero divisor"),
    ("x", {"x": 1, "y": 2}, "values only for the variables"),
])
def test_bad_input_raises_glassbox_error(expr, point, message):
    with pytest.raises(gb.Error) as info:
        gb.autodiff.grad(expr, point)
    assert message in str(info.value)


def test_bad_mode_and_point_type():
    with pytest.raises(gb.Error, match="numeric, symbolic, forward or reverse"):
        gb.autodiff.grad("x", {"x": 1}, mode="sideways")
    with pytest.raises(TypeError):
        gb.autodiff.grad("x", [1.0])
