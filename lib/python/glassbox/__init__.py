"""glassbox: an AI system you can see through.

    import glassbox as gb
    a = gb.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))   # shares the array's memory
    b = gb.tensor(np.array([10, 20, 30], dtype=np.float32))
    c = a + b                                                     # NumPy broadcasting
    np.asarray(c)                                                 # a view, no copy
    rec = gb.lessons.run("00-tour")                               # a Recording, as a plain dict

Submodules mirror lib/: glassbox.core (Tensor, ops, Rng; also available at the top level),
glassbox.trace (Recordings: JSON, replay, exporters), glassbox.lessons (the lesson catalogue).
Every bad input raises glassbox.Error, whose message (and attributes op, expected, given) names the
operation, what it expected and what it was given.
"""
from ._glassbox import Error, NotImplementedExercise
from . import core, lessons, trace
from .core import *  # noqa: F401,F403  (the core API at the top level: gb.Tensor, gb.add, ...)
from . import autodiff  # scalar expressions: gb.autodiff.grad(expr, point, mode), gb.autodiff.hessian
from . import autograd  # reverse-mode tensors: gb.Tensor(..., requires_grad=True), .backward(), .grad
from . import graph  # computation graphs, scripts, tracing: gb.graph.parse_script(...), gb.graph.trace(f, ...)
from . import kernels  # the GEMM ladder and memory layouts: gb.kernels.gemm(a, b, variant=...), to_layout
from . import nn  # layers, losses, optimizers, the digits data, training: gb.nn.Linear(64, 10, seed=0), gb.nn.train(...)
from . import quant  # quantization: gb.quant.choose_qparams(-1.0, 2.0, dtype="uint8"), gb.quant.calibrate(x, method="kl")
from . import compress  # pruning and distillation: gb.compress.magnitude_mask(w, 0.9), gb.compress.distillation_loss(...)
from . import convert  # models from elsewhere: gb.convert.load_onnx("m.onnx"), export_onnx, save_glassbox, hex_dump
from . import passes  # graph optimisation and memory plans: gb.passes.optimize(graph), gb.passes.plan_memory(graph)
from . import parallel  # simulated distributed training: gb.parallel.zero_memory(...), gb.parallel.pipeline_schedule(...)

__version__ = "0.1.0"
__all__ = ["Error", "NotImplementedExercise", "core", "trace", "lessons", "autodiff", "autograd", "graph", "kernels", "nn", "quant", "compress", "convert", "passes", "parallel"] + list(core.__all__)
