#!/usr/bin/env python3
"""The peer of bench_conv: torch.nn.functional.conv2d, CPU, on one and on two threads, on the same layers.

    conv_torch.py [REPEATS]   prints "<layer>/threads:<t> <seconds>" per layer and t in (1, 2) (median of
                              REPEATS calls)
"""
import statistics
import sys
import time

import torch

torch.manual_seed(0)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
# name: (C, H, W, OC, kernel, stride, padding, groups), batch 1 (the same table as bench_conv.cpp)
LAYERS = {
    "resnet_56x56x64": (64, 56, 56, 64, 3, 1, 1, 1),
    "resnet_28x28x128": (128, 28, 28, 128, 3, 1, 1, 1),
    "resnet_14x14x256": (256, 14, 14, 256, 3, 1, 1, 1),
    "depthwise_56x56x64": (64, 56, 56, 64, 3, 1, 1, 64),
}
with torch.no_grad():
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name, (c, h, w, oc, k, s, p, g) in LAYERS.items():
            x = torch.randn(1, c, h, w)
            weight = torch.randn(oc, c // g, k, k)
            bias = torch.randn(oc)
            for _ in range(3):
                torch.nn.functional.conv2d(x, weight, bias, stride=s, padding=p, groups=g)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                torch.nn.functional.conv2d(x, weight, bias, stride=s, padding=p, groups=g)
                times.append(time.perf_counter() - start)
            print(f"{name}/threads:{threads} {statistics.median(times):.9f}", flush=True)
