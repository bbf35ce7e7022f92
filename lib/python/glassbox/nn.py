"""glassbox.nn: layers, losses, optimizers, the digits data, training and checkpoints (lesson 01).

Mirrors lib/nn and torch.nn; NumPy arrays in and out:

    model = gb.nn.Sequential([gb.nn.Conv2d(1, 16, 3, padding=1, seed=0), gb.nn.BatchNorm2d(16),
                              gb.nn.ReLU(), gb.nn.MaxPool2d(2), gb.nn.Flatten(), gb.nn.Linear(256, 10, seed=1)])
    loss = gb.nn.cross_entropy(model(images), labels)   # a gb.autograd.Variable
    loss.backward()                                     # parameters' .grad, like torch
    state = model.state_dict()                          # {"0.weight": ndarray, ...}: torch's keys

Layers: Linear, Conv2d, BatchNorm1d, BatchNorm2d, ReLU, GELU (tanh), Sigmoid, Tanh, MaxPool2d,
AvgPool2d, Flatten, Dropout, Sequential. Functional: linear, conv2d, max_pool2d, avg_pool2d,
batch_norm, dropout, flatten, mse_loss, cross_entropy, kl_div, accuracy.
"""
from ._glassbox.nn import *  # noqa: F401,F403
from ._glassbox.nn import BatchNorm as _BatchNorm


def BatchNorm1d(num_features, eps=1e-5, momentum=0.1):
    """Batch normalisation of x [N, C] or [N, C, L] (torch.nn.BatchNorm1d): a gb.nn.BatchNorm."""
    return _BatchNorm(num_features, False, eps, momentum)


def BatchNorm2d(num_features, eps=1e-5, momentum=0.1):
    """Batch normalisation of x [N, C, H, W] (torch.nn.BatchNorm2d): a gb.nn.BatchNorm."""
    return _BatchNorm(num_features, True, eps, momentum)
