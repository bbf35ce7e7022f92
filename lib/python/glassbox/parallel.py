"""glassbox.parallel: distributed training on a simulated cluster (lessons 10-15).

Results are real, times are simulated; NumPy in and out (see lib/parallel/README.md).
"""
from ._glassbox.parallel import *  # noqa: F401,F403
