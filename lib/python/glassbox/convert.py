"""glassbox.convert: models from elsewhere (lesson 16): ONNX in and out, glassbox's own format.

    torch.onnx.export(model, x, "m.onnx", opset_version=13)   # any ONNX exporter
    graph, info = gb.convert.load_onnx("m.onnx")       # a gb.graph.Graph; info: opset, producer, input/output names
    y, = gb.convert.run(graph, input=x)                 # NumPy in, NumPy out (float32 stays float32)
    data = open("m.onnx", "rb").read()
    print(gb.convert.hex_dump(data, max_lines=20))      # protobuf's wire format, each field named
    out = gb.convert.export_onnx(graph, opset=13)       # bytes of a ModelProto
    gb.convert.check_onnx(out)                          # ONNX's own checker (raises glassbox.Error)
    buf = gb.convert.save_glassbox(graph)               # FlatBuffers: loaded without a parse step
    graph2 = gb.convert.load_glassbox(buf)
    gb.convert.flatbuffer_layout(buf)                   # [{offset, size, what}] per table and vector

Feeds are converted to the dtype the graph declares for that input (ONNX models: float32), so a float64
array or a Python list may be fed; a float array fed to an integer input raises glassbox.Error. Bad bytes,
unknown ops and malformed models raise glassbox.Error.
"""
import os as _os

import numpy as _np

from . import _glassbox
from ._glassbox import Error

_c = _glassbox.convert

__all__ = ["load_onnx", "export_onnx", "check_onnx", "save_glassbox", "load_glassbox", "hex_dump", "decode_wire",
           "flatbuffer_layout", "run", "inputs", "outputs", "op_names", "feeds_for"]

_NUMPY_DTYPES = {"f32": _np.float32, "f64": _np.float64, "i8": _np.int8, "u8": _np.uint8, "i32": _np.int32,
                 "i64": _np.int64}


def _bytes(data, what):
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise Error(f"gb.convert.{what}: expected bytes, given {type(data).__name__}")


def _graph(graph, what):
    """The graph itself, or glassbox.Error naming what was given instead (not pybind's TypeError)."""
    if isinstance(graph, _glassbox.graph.Graph):
        return graph
    raise Error(f"gb.{what}: expected a gb.graph.Graph, given {type(graph).__name__}")


def load_onnx(path_or_bytes):
    """An ONNX model from a path or from the bytes of a ModelProto -> (Graph, info dict with opset,
    ir_version, producer, input_names, output_names)."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return _c.parse_onnx(bytes(path_or_bytes))
    if isinstance(path_or_bytes, (str, _os.PathLike)):
        return _c.load_onnx(_os.fspath(path_or_bytes))
    raise Error(f"gb.convert.load_onnx: expected a path or bytes, given {type(path_or_bytes).__name__}")


def export_onnx(graph, opset=13, graph_name="glassbox"):
    """The graph as the bytes of an ONNX ModelProto at the given opset (7 to 17)."""
    return _c.export_onnx(_graph(graph, "convert.export_onnx"), int(opset), str(graph_name))


def check_onnx(data):
    """ONNX's checker and strict shape inference on a model's bytes; raises glassbox.Error when invalid."""
    _c.check_onnx(_bytes(data, "check_onnx"))


def save_glassbox(graph):
    """The graph in glassbox's FlatBuffers format (bytes; the same graph gives the same bytes)."""
    return _c.save_glassbox(_graph(graph, "convert.save_glassbox"))


def load_glassbox(data):
    """A Graph from glassbox's format (the buffer is verified first: bad bytes raise glassbox.Error)."""
    return _c.load_glassbox(_bytes(data, "load_glassbox"))


def hex_dump(data, root="ModelProto", max_lines=400):
    """The protobuf bytes, one line per field: offset, key bytes, field number and name, wire type, value."""
    return _c.hex_dump(_bytes(data, "hex_dump"), str(root), int(max_lines))


def decode_wire(data, begin=0, end=-1):
    """The fields of one protobuf message in data[begin:end] without a schema: [{offset, key_size,
    field_number, wire_type, varint, value_offset, value_size}]."""
    return _c.decode_wire(_bytes(data, "decode_wire"), int(begin), int(end))


def flatbuffer_layout(data):
    """Where each table and vector of a glassbox buffer lies: [{offset, size, what}]."""
    return _c.flatbuffer_layout(_bytes(data, "flatbuffer_layout"))


def inputs(graph):
    """The graph's inputs: [{name, value, dtype, shape}] (shape -1: a dynamic dimension)."""
    return _c.inputs(_graph(graph, "convert.inputs"))


def outputs(graph):
    """The graph's outputs: [{name, value, dtype, shape}]."""
    return _c.outputs(_graph(graph, "convert.outputs"))


def op_names():
    """The ONNX operators glassbox runs, sorted."""
    return list(_c.op_names())


def feeds_for(graph, feeds):
    """The feeds as arrays of the dtypes the graph's inputs declare (unknown names are left to the C++
    check, which lists the inputs)."""
    declared = {i["name"]: i["dtype"] for i in _c.inputs(_graph(graph, "convert.run"))}
    out = {}
    for name, value in feeds.items():
        array = _np.asarray(value)
        dtype = declared.get(name)
        if dtype is not None and _NUMPY_DTYPES[dtype] != array.dtype:
            target = _np.dtype(_NUMPY_DTYPES[dtype])
            if target.kind in "iu" and array.dtype.kind == "f":
                raise Error(f"gb.convert.run: expected {dtype} values for input '{name}', given {array.dtype}")
            array = array.astype(target)
        out[name] = array
    return out


def run(graph, **feeds):
    """Runs the graph (lesson 07's FIFO executor) with feeds by input name; returns the outputs as NumPy
    arrays, in the graph's output order."""
    return list(_c.run(graph, feeds_for(graph, feeds)))
