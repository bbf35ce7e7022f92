"""glassbox.graph: computation graphs, scheduling, control flow, dynamic to static (lessons 06-09).

    g = gb.graph.parse_script('''
    l = x
    for i in range(3):
        l = 4 * l * (1 - l)
    return l''')                                   # one While op: the loop is kept (lesson 09)
    print(g)                                       # one line per node
    gb.graph.run(g, x=0.3)                         # [array(0.99434496)]
    gg = g.with_gradients()                        # the backward pass appends d l / d x (lesson 06)
    gb.graph.run(gg, x=0.3)                        # [l, dl/dx]
    gb.graph.run(gg.lowered(), x=0.3, dataflow=True)   # Switch/Merge tokens (lesson 08)
    outs, rec = gb.graph.run(g, x=0.3, record=True)    # rec: the executor's Recording as a dict

    def f(h, w):                                   # tracing (torch.jit.trace): runs f once
        if gb.graph.sum(h) > gb.graph.sum(w):      # a Python if on a traced value: frozen, with a warning
            h = h + w
        return gb.graph.tanh(h)
    g, warnings, outputs = gb.graph.trace(f, h=np.ones(2), w=np.zeros(2))

Scalars fed to run() become f64 tensors; arrays keep their dtype. Bad input raises glassbox.Error.
"""
import json as _json

import numpy as _np

from . import _glassbox

_g = _glassbox.graph

Graph = _g.Graph
Traced = _g.Traced

__all__ = ["Graph", "Traced", "parse_script", "trace", "run", "matmul", "transpose", "sum", "mean", "tanh",
           "relu", "sigmoid", "exp", "log", "sin", "cos"]


def parse_script(text, **input_infos):
    """Parse a script into a Graph. input_infos: name=(dtype, shape) for tensor inputs (else f64 scalars)."""
    infos = {name: (str(dtype), [int(d) for d in shape]) for name, (dtype, shape) in input_infos.items()}
    return _g.parse_script(text, infos)


def _feed(value):
    array = _np.asarray(value)
    return array.astype(_np.float64) if array.dtype.kind in "iub" or array.ndim == 0 else array


def run(graph, record=False, threads=None, dataflow=False, **feeds):
    """Run a Graph with feeds by input name: FIFO executor, or run_parallel (threads=N), or the dataflow
    executor (dataflow=True, for graphs made by lowered()). record=True also returns the Recording dict."""
    feeds = {name: _feed(value) for name, value in feeds.items()}
    if dataflow:
        result = graph.run_dataflow(feeds, record)
    elif threads is not None:
        result = graph.run_parallel(feeds, int(threads), record)
    else:
        result = graph.run(feeds, record)
    if record:
        outputs, text = result
        return list(outputs), _json.loads(text)
    return list(result)


def trace(fn, **examples):
    """Run fn(*examples) once on Traced values and return (graph, warnings, eager outputs)."""
    graph, warnings, outputs = _g.trace(fn, [(name, _feed(value)) for name, value in examples.items()])
    return graph, list(warnings), list(outputs)


def _op(name):
    def apply(*inputs):
        return _g.apply(name, list(inputs))
    apply.__name__ = name
    apply.__doc__ = f"The graph op {name!r} on traced values."
    return apply


matmul = _op("matmul")
transpose = _op("transpose")
tanh = _op("tanh")
relu = _op("relu")
sigmoid = _op("sigmoid")
exp = _op("exp")
log = _op("log")
sin = _op("sin")
cos = _op("cos")


def sum(x):  # noqa: A001 (the op's name)
    """The sum of every element of a traced value."""
    return _g.apply("sum", [x])


def mean(x):
    """The mean of every element of a traced value."""
    return _g.apply("mean", [x])
