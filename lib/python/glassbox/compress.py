"""glassbox.compress: pruning and knowledge distillation (lessons 26-pruning and 27-knowledge-distillation).

NumPy in and out; the arithmetic is lib/compress's (see lib/compress/README.md).
"""
from ._glassbox.compress import *  # noqa: F401,F403
