#!/usr/bin/python3
"""Exports a small residual CNN with torch.onnx.export (opset 13) as an ONNX backend test case folder.

usage: export_torch_cnn.py OUT_DIR

OUT_DIR/cnn/model.onnx, OUT_DIR/cnn/test_data_set_0/{input_0,output_0}.pb (for `glassbox onnx-test`) and
OUT_DIR/cnn/x.npy, y.npy (for `glassbox infer --input x=x.npy`). The model has what lesson 17's passes
rewrite: Conv + BatchNormalization (exported unfolded: training=PRESERVE keeps torch from folding them
itself), Conv + Relu, a residual Add, MaxPool, GlobalAveragePool, Flatten, Linear (Gemm). torch is the oracle.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torch_mlp import tensor_proto  # noqa: E402


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c)
        self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.block = Block(8)
        self.pool = torch.nn.MaxPool2d(2)
        self.conv = torch.nn.Conv2d(8, 12, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(12, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = self.pool(self.block(x))
        x = torch.relu(self.conv(x))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def main():
    out_dir = os.path.join(sys.argv[1], "cnn")
    os.makedirs(os.path.join(out_dir, "test_data_set_0"), exist_ok=True)
    torch.manual_seed(0)
    model = Net()
    # Trained-looking batch-norm statistics (fresh ones are mean 0, var 1: the fold would be trivial).
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(out_dir, "model.onnx"), opset_version=13, input_names=["x"],
                      output_names=["y"], training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    with open(os.path.join(out_dir, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(tensor_proto(x, "x"))
    with open(os.path.join(out_dir, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(tensor_proto(y, "y"))
    np.save(os.path.join(out_dir, "x.npy"), x.numpy())
    np.save(os.path.join(out_dir, "y.npy"), y.numpy())
    print("exported", out_dir)


if __name__ == "__main__":
    main()
