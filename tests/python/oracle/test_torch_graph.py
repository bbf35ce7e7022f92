"""PyTorch's autograd as an oracle for lessons 06-09: a script with if/while/for is parsed by glassbox
into one static graph (If and While ops) and differentiated by the graph-level backward pass, while
torch runs the very same text as a Python function, eagerly, with the host language's control flow,
and differentiates it with torch.autograd. Values and gradients agree in float64, for inputs that take
every branch. The Switch/Merge lowering (lesson 08) gives the same numbers."""
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassbox as gb  # noqa: E402

# Each script is valid in both languages (glassbox's script language is a subset of Python's).
SCRIPTS = {
    "logistic_map": ("l = x\nfor i in range(3):\n    l = 4 * l * (1 - l)\nreturn l", ["x"]),
    "if_else": ("if x > y:\n    z = x * y\nelse:\n    z = sin(x) - y\nreturn z * z", ["x", "y"]),
    "elif": ("if x > 1:\n    z = x ** 3\nelif x > -1:\n    z = -x\nelse:\n    z = exp(x)\nreturn z", ["x"]),
    "while": ("while x < 10:\n    x = x + sigmoid(x) + y * y\nreturn x", ["x", "y"]),
    "nested_loops": ("s = x\nfor i in range(2):\n    for j in range(3):\n        s = s * cos(s) + y\nreturn s", ["x", "y"]),
    "if_inside_while": ("n = 0\nwhile n < 4:\n    if x > 0:\n        x = x - y * y\n    else:\n        x = x * 0.5 + y\n"
                        "    n = n + 1\nreturn x", ["x", "y"]),
    "while_inside_if": ("if y > 0:\n    while x < 5:\n        x = x + sigmoid(x) + y\nelse:\n    x = tanh(x) * y\nreturn x", ["y", "x"]),
}

TORCH_NAMESPACE = {"sin": torch.sin, "cos": torch.cos, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
                   "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt}


def torch_function(body, names):
    source = f"def f({', '.join(names)}):\n" + textwrap.indent(body, "    ")
    namespace = dict(TORCH_NAMESPACE)
    exec(source, namespace)  # noqa: S102 (our own test scripts)
    return namespace["f"]


def torch_value_and_grad(body, names, point):
    leaves = [torch.tensor(point[n], dtype=torch.float64, requires_grad=True) for n in names]
    out = torch_function(body, names)(*leaves)
    out.backward()
    return out.item(), [leaf.grad.item() if leaf.grad is not None else 0.0 for leaf in leaves]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_graph_gradients_equal_torch_autograd(name):
    body, names = SCRIPTS[name]
    graph = gb.graph.parse_script(body).with_gradients()
    assert graph.inputs == names
    rng = np.random.default_rng(7)
    for _ in range(12):
        point = {n: float(rng.uniform(-2, 3)) for n in names}
        want_value, want_grad = torch_value_and_grad(body, names, point)
        got = gb.graph.run(graph, **point)
        np.testing.assert_allclose(float(got[0]), want_value, rtol=1e-12, atol=1e-12, err_msg=f"{name} at {point}")
        np.testing.assert_allclose([float(g) for g in got[1:]], want_grad, rtol=1e-10, atol=1e-10,
                                   err_msg=f"{name} at {point}")
        lowered = gb.graph.run(graph.lowered(), dataflow=True, **point)
        np.testing.assert_allclose([float(v) for v in lowered], [float(v) for v in got], rtol=1e-12, atol=1e-12)
