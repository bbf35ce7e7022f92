"""glassbox.autodiff: scalar functions of the expression language, differentiated four ways.

    value, grads = gb.autodiff.grad("log(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5})
    # value = 11.652071..., grads = {"x1": 5.5, "x2": 1.716337...}
    gb.autodiff.grad(expr, point, mode="numeric" | "symbolic" | "forward" | "reverse")
    gb.autodiff.hessian(expr, point)            # 2-D numpy array, rows in the order of variables(expr)
    gb.autodiff.derivative("x^3", "x")          # "3 * x ^ 2"
    gb.autodiff.swell(8)                        # expression swell of the logistic map

Bad input (a parse error with line:column, an unknown variable, log of a negative) raises glassbox.Error.
"""
import numpy as _np

from . import _glassbox

_a = _glassbox.autodiff

MODES = ("numeric", "symbolic", "forward", "reverse")


def _point(point):
    if not isinstance(point, dict):
        raise TypeError(f"point must be a dict of variable name -> number, not {type(point).__name__}")
    return {str(k): float(v) for k, v in point.items()}


def grad(expr, point, mode="reverse"):
    """(value, {variable: partial}) of expr at point; the dict is in the order variables first appear."""
    value, names, partials = _a.grad(str(expr), _point(point), str(mode))
    return value, dict(zip(names, partials))


def hessian(expr, point):
    """The Hessian of expr at point (forward over reverse) as an n x n numpy array, n = len(variables(expr))."""
    names, rows = _a.hessian(str(expr), _point(point))
    return _np.array(rows, dtype=_np.float64).reshape(len(names), len(names))


def derivative(expr, var, simplify=True):
    """The symbolic derivative d expr / d var, as text in the same language."""
    return _a.derivative(str(expr), str(var), bool(simplify))


def variables(expr):
    """The variables of expr in the order they first appear."""
    return _a.variables(str(expr))


def swell(max_n):
    """Node counts of the logistic map l_n and of its derivative (with and without simplification)."""
    return _a.swell(int(max_n))


__all__ = ["MODES", "grad", "hessian", "derivative", "variables", "swell"]
