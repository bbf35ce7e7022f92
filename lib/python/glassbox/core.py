"""glassbox.core: Tensor, its dtypes and views, the ops of lib/core (ops.hpp) and Rng.

The Tensor itself is C++ (lib/core); this module re-exports it and adds basic indexing
(t[1, ::2, None, ...]) written with the Tensor's own views, so indexing never copies.
"""
import numpy as _np

from . import _glassbox

_c = _glassbox.core

Tensor = _c.Tensor
Rng = _c.Rng
Error = _glassbox.Error
NotImplementedExercise = _glassbox.NotImplementedExercise
DTYPES = _c.DTYPES

# creation and conversion
tensor = _c.tensor
zeros, ones, full, arange, scalar = _c.zeros, _c.ones, _c.full, _c.arange, _c.scalar
dtype_size, is_floating, numpy_dtype = _c.dtype_size, _c.is_floating, _c.numpy_dtype
# shapes and strides
broadcast_shapes, contiguous_strides, strided_offset = _c.broadcast_shapes, _c.contiguous_strides, _c.strided_offset
# elementwise (NumPy broadcasting; both operands of one dtype, Python numbers take the tensor's dtype)
add, sub, mul, div, maximum, minimum, neg = _c.add, _c.sub, _c.mul, _c.div, _c.maximum, _c.minimum, _c.neg
eq, ne, lt, le, gt, ge = _c.eq, _c.ne, _c.lt, _c.le, _c.gt, _c.ge
# reductions, matmul
sum, mean, max, argmax = _c.sum, _c.mean, _c.max, _c.argmax  # noqa: A001 (NumPy's names)
matmul, allclose = _c.matmul, _c.allclose


def _getitem(self, key):
    """Basic indexing with views: ints (select), slices with step > 0, None (new axis), Ellipsis."""
    if not isinstance(key, tuple):
        key = (key,)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    real = [k for k in key if k is not None and k is not Ellipsis]
    if len(real) > self.ndim:
        raise IndexError(f"too many indices for a tensor of shape {list(self.shape)}: {len(real)} given")
    if ellipses:
        i = ellipses[0]
        key = key[:i] + (slice(None),) * (self.ndim - len(real)) + key[i + 1:]
    t, axis = self, 0
    for k in key:
        if k is None:
            t = t.unsqueeze(axis)
            axis += 1
        elif isinstance(k, slice):
            start, stop, step = k.indices(t.shape[axis])
            if step <= 0:
                raise IndexError("glassbox has no negative strides: slice steps must be > 0")
            t = t.slice(axis, start, stop, step)
            axis += 1
        elif isinstance(k, (int, _np.integer)) and not isinstance(k, bool):
            size = t.shape[axis]
            if not -size <= int(k) < size:
                raise IndexError(f"index {int(k)} is out of bounds for axis {axis} with size {size}")
            t = t.select(axis, int(k))
        else:
            raise TypeError(f"glassbox indexing takes ints, slices, None and ..., not {type(k).__name__}")
    return t


def _iter(self):
    for i in range(len(self)):
        yield self.select(0, i)


Tensor.__getitem__ = _getitem
Tensor.__iter__ = _iter
Tensor.T = property(lambda self: self.permute(*reversed(range(self.ndim))), doc="all axes reversed (a view)")

__all__ = [
    "Tensor", "Rng", "Error", "NotImplementedExercise", "DTYPES",
    "tensor", "zeros", "ones", "full", "arange", "scalar", "dtype_size", "is_floating", "numpy_dtype",
    "broadcast_shapes", "contiguous_strides", "strided_offset",
    "add", "sub", "mul", "div", "maximum", "minimum", "neg", "eq", "ne", "lt", "le", "gt", "ge",
    "sum", "mean", "max", "argmax", "matmul", "allclose",
]
