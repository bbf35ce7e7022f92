#!/usr/bin/env python3
"""The peer of bench_autodiff_tensor's gb/mlp_step: one SGD training step of an MLP 784-256-256-10
(ReLU, log-softmax cross-entropy) at batch 64, PyTorch CPU eager, single-threaded.

    torch_mlp_step.py [STEPS]   prints "seconds_per_step <s>" (the median of STEPS timed steps)
"""
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
sizes = [784, 256, 256, 10]
params = []
for fan_in, fan_out in zip(sizes, sizes[1:]):
    params.append((torch.randn(fan_in, fan_out) * fan_in ** -0.5).requires_grad_())
    params.append(torch.zeros(fan_out, requires_grad=True))
x = torch.randn(64, 784)
onehot = torch.nn.functional.one_hot(torch.randint(0, 10, (64,)), 10).float()


def step():
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = torch.relu(h)
    loss = -(torch.log_softmax(h, 1) * onehot).sum(1).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.01 * p.grad
            p.grad = None


for _ in range(5):
    step()
times = []
for _ in range(steps):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
print(f"seconds_per_step {statistics.median(times):.9f}")
