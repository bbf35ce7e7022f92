"""glassbox.graph from Python (lessons 06-09): scripts, gradients, lowering, tracing, recordings,
checked against NumPy and closed forms."""
import numpy as np
import pytest

import glassbox as gb

LOGISTIC = "l = x\nfor i in range(3):\n    l = 4 * l * (1 - l)\nreturn l"


def closed_form(x):
    p = 1 - 8 * x + 8 * x * x
    value = 64 * x * (1 - x) * (1 - 2 * x) ** 2 * p ** 2
    slope = 64 * ((1 - 2 * x) ** 3 * p ** 2 - 4 * x * (1 - x) * (1 - 2 * x) * p ** 2
                  + x * (1 - x) * (1 - 2 * x) ** 2 * 2 * p * (16 * x - 8))
    return value, slope


def test_script_keeps_the_loop_and_differentiates_through_it():
    graph = gb.graph.parse_script(LOGISTIC)
    assert [n["op"] for n in graph.nodes()].count("While") == 1
    assert graph.inputs == ["x"]
    for x in (0.1, 0.3, 0.77):
        value, slope = gb.graph.run(graph.with_gradients(), x=x)
        want_value, want_slope = closed_form(x)
        assert float(value) == pytest.approx(want_value, abs=1e-12)
        assert float(slope) == pytest.approx(want_slope, abs=1e-9)


def test_lowered_dataflow_equals_functional_and_records_tokens():
    graph = gb.graph.parse_script(LOGISTIC).with_gradients()
    lowered = graph.lowered()
    ops = [n["op"] for n in lowered.nodes()]
    for op in ("Switch", "Merge", "Enter", "Exit", "NextIteration"):
        assert op in ops
    assert "While" not in ops
    want = [float(v) for v in gb.graph.run(graph, x=0.3)]
    outputs, recording = gb.graph.run(lowered, x=0.3, dataflow=True, record=True)
    assert [float(v) for v in outputs] == want
    assert len(recording["steps"]) > 10


def test_tensor_inputs_and_the_parallel_executor():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    b = np.ones((3, 2))
    graph = gb.graph.parse_script("return tanh(matmul(a, b) * 0.1)", a=("f64", (2, 3)), b=("f64", (3, 2)))
    want = np.tanh(a @ b * 0.1)
    np.testing.assert_allclose(gb.graph.run(graph, a=a, b=b)[0], want, rtol=1e-15)
    outputs, recording = gb.graph.run(graph, threads=2, record=True, a=a, b=b)
    np.testing.assert_allclose(outputs[0], want, rtol=1e-15)
    assert any(scene["kind"] == "timeline" for scene in recording["scenes"])


def test_tracing_a_python_function_freezes_the_branch():
    def f(h, w):
        if gb.graph.sum(h) > gb.graph.sum(w):
            h = h + w
        return gb.graph.tanh(h)

    big, small, w = np.full(2, 3.0), np.full(2, -3.0), np.ones(2)
    g_big, warnings, outputs = gb.graph.trace(f, h=big, w=w)
    g_small, _, _ = gb.graph.trace(f, h=small, w=w)
    assert warnings, "a Python if on a traced value must warn"
    np.testing.assert_allclose(outputs[0], np.tanh(big + w))
    assert len(g_big) != len(g_small)
    # The graph traced on `big` still adds w when run on `small`: frozen.
    np.testing.assert_allclose(gb.graph.run(g_big, h=small, w=w)[0], np.tanh(small + w))
    np.testing.assert_allclose(gb.graph.run(g_small, h=small, w=w)[0], np.tanh(small))


def test_dot_and_errors():
    graph = gb.graph.parse_script(LOGISTIC)
    assert graph.to_dot().startswith("digraph")
    with pytest.raises(gb.Error, match="2:"):
        gb.graph.parse_script("y = x\nif y >:\n    y = 1\nreturn y")
    with pytest.raises(gb.Error):
        gb.graph.run(graph)  # x is not fed
    with pytest.raises(gb.Error):
        graph.with_gradients(["nope"])
