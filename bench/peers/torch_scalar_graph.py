#!/usr/bin/env python3
"""The peer of bench_autodiff_scalar's gb/scalar_graph_1e6: a scalar graph of 1e6 nodes, built and
differentiated by PyTorch eager on 0-d float64 tensors, single-threaded. The graph is the one the C++
benchmark builds: y <- tanh(y * w + x), three nodes per iteration, then y.backward().

    torch_scalar_graph.py [REPEATS]   prints "seconds_per_graph <s>" (the best of REPEATS runs)
"""
import sys
import time

import torch

torch.set_num_threads(1)
NODES = 1_000_000
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2


def forward_backward():
    x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(NODES // 3):
        y = torch.tanh(y * w + x)
    y.backward()
    return x.grad.item()


best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    forward_backward()
    best = min(best, time.perf_counter() - start)
print(f"seconds_per_graph {best:.6f}")
