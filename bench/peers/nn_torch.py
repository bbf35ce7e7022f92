#!/usr/bin/env python3
"""The peer of bench_nn: one training step (forward, cross-entropy, backward, Adam step) of lesson 01's
digits models at batch 64, PyTorch CPU eager, single-threaded, same architectures as gb::nn::digits_cnn
and digits_mlp, on the first 64 digits of scikit-learn's digits.csv.gz.

    nn_torch.py [STEPS]   prints "cnn_step/64 <s>", "cnn_forward/64 <s>" and "mlp_step/64 <s>"
                          (the median of STEPS timed calls each)
"""
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
data = np.loadtxt("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz", delimiter=",", max_rows=64)
x = torch.tensor(data[:, :64] / 16.0, dtype=torch.float32).reshape(64, 1, 8, 8)
y = torch.tensor(data[:, 64], dtype=torch.int64)

cnn = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Dropout(0.25), nn.Linear(128, 10))
mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def trainer(model):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def forward_only():
    with torch.no_grad():
        cnn(x)


def median_seconds(f):
    for _ in range(5):
        f()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


cnn.train()
print(f"cnn_step/64 {median_seconds(trainer(cnn)):.9f}", flush=True)
cnn.eval()
print(f"cnn_forward/64 {median_seconds(forward_only):.9f}", flush=True)
print(f"mlp_step/64 {median_seconds(trainer(mlp)):.9f}", flush=True)
