"""glassbox.nn: layers, losses, optimizers, the digits data, training and checkpoints (lesson 01).

Mirrors lib/nn; NumPy arrays in and out.
"""
from ._glassbox.nn import *  # noqa: F401,F403
