"""glassbox.autograd: reverse-mode automatic differentiation on tensors (lib/autodiff, tensor half).

    x = gb.Tensor(np.array([1.0, 2.0]), requires_grad=True)   # a gb.autograd.Variable (a gb.Tensor)
    w = gb.Tensor(np.array([[3.0], [4.0]]), requires_grad=True)
    loss = gb.autograd.relu(x @ w).sum()
    loss.backward()
    np.asarray(x.grad)                                         # d loss / d x

A Variable is a gb.Tensor that also has a place on the tape: arithmetic (+ - * / ** @, with
broadcasting), sum/mean/max, reshape/transpose/permute/broadcast_to and the functions here record;
other Tensor methods (indexing, slice, select) give plain, detached Tensors.
"""
from . import _glassbox
from .core import Tensor

_a = _glassbox.autograd

Variable = _a.Variable
relu, sigmoid, tanh, exp, log, gelu = _a.relu, _a.sigmoid, _a.tanh, _a.exp, _a.log, _a.gelu
softmax, log_softmax, sum_to_shape = _a.softmax, _a.log_softmax, _a.sum_to_shape
grad, jacrev, jacfwd, hessian = _a.grad, _a.jacrev, _a.jacfwd, _a.hessian
no_grad, grad_enabled = _a.no_grad, _a.grad_enabled

# gb.Tensor(data, requires_grad=True) makes a Variable: Tensor.__new__ picks the class, and Python
# then runs that class's __init__ with the same arguments.
_object_new = Tensor.__new__
_plain_init = Tensor.__init__


def _tensor_new(cls, *args, requires_grad=False, **kwargs):
    if requires_grad and cls is Tensor:
        cls = Variable
    return _object_new(cls)


def _tensor_init(self, data, requires_grad=False):
    _plain_init(self, data)


Tensor.__new__ = staticmethod(_tensor_new)
Tensor.__init__ = _tensor_init
Tensor.requires_grad = property(lambda self: False, doc="False: a plain Tensor is not on the tape")

__all__ = ["Variable", "relu", "sigmoid", "tanh", "exp", "log", "gelu", "softmax", "log_softmax", "sum_to_shape",
           "grad", "jacrev", "jacfwd", "hessian", "no_grad", "grad_enabled"]
