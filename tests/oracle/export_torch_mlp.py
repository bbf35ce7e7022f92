#!/usr/bin/python3
"""Exports a 2-layer MLP with torch.onnx.export (opset 13) as an ONNX backend test case folder.

usage: export_torch_mlp.py OUT_DIR

OUT_DIR/mlp/model.onnx and OUT_DIR/mlp/test_data_set_0/{input_0,output_0}.pb, the layout of ONNX's own
test vectors, so that `glassbox onnx-test OUT_DIR/mlp` compares glassbox with torch (the oracle we did not
write). The tensors are serialized TensorProtos written by hand (field numbers from onnx.proto): Debian's
python3-torch exports ONNX without needing the onnx Python package, and we do not need it either.
"""
import os
import struct
import sys

import torch


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tensor_proto(array, name):
    """TensorProto: dims = 1 (varint each), data_type = 2 (FLOAT = 1), name = 8, raw_data = 9."""
    out = bytearray()
    for d in array.shape:
        out += varint(1 << 3 | 0) + varint(d)
    out += varint(2 << 3 | 0) + varint(1)
    raw = struct.pack("<%df" % array.numel(), *array.flatten().tolist())
    out += varint(8 << 3 | 2) + varint(len(name)) + name.encode()
    out += varint(9 << 3 | 2) + varint(len(raw)) + raw
    return bytes(out)


def main():
    out_dir = os.path.join(sys.argv[1], "mlp")
    os.makedirs(os.path.join(out_dir, "test_data_set_0"), exist_ok=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10), torch.nn.LogSoftmax(dim=1))
    model.eval()
    x = torch.randn(5, 20)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(out_dir, "model.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with open(os.path.join(out_dir, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(tensor_proto(x, "x"))
    with open(os.path.join(out_dir, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(tensor_proto(y, "y"))
    print("exported", out_dir)


if __name__ == "__main__":
    main()
