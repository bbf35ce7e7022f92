#!/usr/bin/env python3
"""The peer of bench_quant: PyTorch's quantized Linear and Conv2d (torch.ops.quantized, CPU,
single-threaded) under every quantized engine this torch has (qnnpack, fbgemm, onednn, x86), on the
shapes of bench_quant.cpp.

    quant_torch.py [REPEATS]   prints "<engine>/<case> <seconds>" per engine and case (median of REPEATS)
      cases: qlinear_1024      x [1024, 1024] quint8 times w [1024, 1024] qint8 (+ bias, requantized to quint8)
             qconv_56x56x64    x [1, 64, 56, 56] quint8, w [64, 64, 3, 3] qint8, padding 1
"""
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def median_seconds(f):
    for _ in range(2):
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


with torch.no_grad():
    x = torch.quantize_per_tensor(torch.rand(1024, 1024) * 2 - 1, 2 / 255, 128, torch.quint8)
    w = torch.quantize_per_tensor(torch.randn(1024, 1024) * 0.05, 0.002, 0, torch.qint8)
    xc = torch.quantize_per_tensor(torch.rand(1, 64, 56, 56) * 2 - 1, 2 / 255, 128, torch.quint8)
    wc = torch.quantize_per_tensor(torch.randn(64, 64, 3, 3) * 0.05, 0.002, 0, torch.qint8)
    for engine in ("qnnpack", "fbgemm", "onednn", "x86"):
        if engine not in torch.backends.quantized.supported_engines:
            continue
        torch.backends.quantized.engine = engine
        packed = torch.ops.quantized.linear_prepack(w, torch.randn(1024))
        seconds = median_seconds(lambda: torch.ops.quantized.linear(x, packed, 0.1, 128))
        print(f"torch_{engine}/qlinear_1024 {seconds:.9f}", flush=True)
        packed_conv = torch.ops.quantized.conv2d_prepack(wc, torch.randn(64), [1, 1], [1, 1], [1, 1], 1)
        seconds = median_seconds(lambda: torch.ops.quantized.conv2d(xc, packed_conv, 0.1, 128))
        print(f"torch_{engine}/qconv_56x56x64 {seconds:.9f}", flush=True)
