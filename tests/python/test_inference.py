"""The inference engine from Python (lessons 16-17): gb.convert and gb.passes on a model PyTorch exported.

PyTorch is the oracle: a small CNN (Conv2d + BatchNorm2d + ReLU twice, a residual Add, Linear) in eval mode
is exported to ONNX by torch.onnx.export (BatchNormalization kept as a node: training=PRESERVE and no
constant folding, so glassbox's own conv_bn_folding has something to fold), imported by gb.convert.load_onnx
and run; the outputs must match torch's. Optimised graphs, memory-planned runs, ONNX re-export and the
glassbox format must all give the same outputs again. The memory plan is checked by an independent overlap
test written here, and by running inside an arena whose offsets were broken on purpose.
"""
import os

import numpy as np
import pytest

import glassbox as gb

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 1e-5


class SmallNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8 * 6 * 6, 5)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)) + h)  # the residual connection
        return self.fc(torch.flatten(h, 1))


def make_model():
    torch.manual_seed(0)
    model = SmallNet().eval()
    with torch.no_grad():  # running statistics that are not the identity, or folding BN would prove nothing
        for bn in (model.bn1, model.bn2):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    return model


def export(model, path, example, dynamic_batch=False):
    torch.onnx.export(model, (example,), path, opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    model = make_model()
    x = torch.randn(2, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    path = os.path.join(folder, "small.onnx")
    export(model, path, x)
    with torch.no_grad():
        expected = model(x).numpy()
    return {"model": model, "path": path, "x": x.numpy(), "expected": expected, "folder": folder}


@pytest.fixture(scope="module")
def loaded(exported):
    graph, info = gb.convert.load_onnx(exported["path"])
    return graph, info


@pytest.fixture(scope="module")
def optimized(loaded):
    return gb.passes.optimize(loaded[0])


def run(graph, exported):
    return gb.convert.run(graph, input=exported["x"])


def test_import_matches_torch(exported, loaded):
    graph, info = loaded
    assert info["opset"] == 13
    assert info["producer"].startswith("pytorch")
    assert info["input_names"] == ["input"] and info["output_names"] == ["logits"]
    ops = [n["op"] for n in graph.nodes()]
    for op in ("Conv", "BatchNormalization", "Relu", "Add", "Gemm"):
        assert op in ops
    assert set(ops) - {"placeholder", "constant"} <= set(gb.convert.op_names())
    assert gb.convert.inputs(graph) == [{"name": "input", "value": gb.convert.inputs(graph)[0]["value"],
                                         "dtype": "f32", "shape": [2, 3, 6, 6]}]
    (y,) = run(graph, exported)
    assert y.dtype == np.float32 and y.shape == (2, 5)
    np.testing.assert_allclose(y, exported["expected"], rtol=RTOL, atol=ATOL)


def test_load_from_bytes_and_feed_conversion(exported, loaded):
    with open(exported["path"], "rb") as f:
        graph, info = gb.convert.load_onnx(f.read())
    assert info["opset"] == 13
    (y32,) = gb.convert.run(graph, input=exported["x"])
    (y64,) = gb.convert.run(graph, input=exported["x"].astype(np.float64))  # converted to the declared f32
    np.testing.assert_array_equal(y32, y64)
    (y_path,) = run(loaded[0], exported)
    np.testing.assert_array_equal(y32, y_path)


def test_optimize_default_pipeline(exported, loaded, optimized):
    r = optimized
    assert r["ops_after"] < r["ops_before"] == gb.passes.op_count(loaded[0])
    assert r["ops_after"] == gb.passes.op_count(r["graph"])
    rules = [row["rule"] for row in r["log"]]
    assert rules.count("conv_bn_fold") == 2  # two BatchNormalizations folded
    for row in r["log"]:
        assert set(row) == {"pass", "rule", "detail", "before", "after"}
        assert row["pass"] in gb.passes.names() and row["detail"]
        assert all(isinstance(n, int) for n in row["before"] + row["after"])
    ops = [n["op"] for n in r["graph"].nodes()]
    assert "BatchNormalization" not in ops
    assert [run_["pass"] for run_ in r["runs"]][:len(gb.passes.default_pipeline())] == gb.passes.default_pipeline()
    (y,) = run(loaded[0], exported)
    (y_opt,) = run(r["graph"], exported)
    np.testing.assert_allclose(y_opt, y, rtol=0, atol=1e-5)
    np.testing.assert_allclose(y_opt, exported["expected"], rtol=RTOL, atol=ATOL)


def test_optimize_named_passes_once(exported, loaded):
    r = gb.passes.optimize(loaded[0], passes=["conv_bn_folding", "dead_code_elimination"], fixed_point=False)
    assert [run_["pass"] for run_ in r["runs"]] == ["conv_bn_folding", "dead_code_elimination"]
    ops = [n["op"] for n in r["graph"].nodes()]
    assert "BatchNormalization" not in ops and ops.count("Conv") == 2
    assert r["ops_after"] == r["ops_before"] - 2
    np.testing.assert_allclose(run(r["graph"], exported)[0], exported["expected"], rtol=RTOL, atol=ATOL)
    with pytest.raises(gb.Error):
        gb.passes.optimize(loaded[0], passes=["no_such_pass"])


def test_optimize_records_the_pass_log(loaded):
    r = gb.passes.optimize(loaded[0], record=True)
    scenes = [s["id"] for s in r["recording"]["scenes"]]
    assert "pass-log" in scenes and "pass-0-before" in scenes and "pass-0-after" in scenes
    assert len(r["recording"]["steps"]) >= len(r["log"])


def check_plan(plan):
    """The plan's own invariants, checked here independently of the planner."""
    assert plan["peak_live_bytes"] <= plan["arena_bytes"] <= plan["naive_bytes"]
    intervals = plan["intervals"]
    assert intervals and plan["in_place_count"] == sum(i["in_place_of"] != -1 for i in intervals)
    by_value = {i["value"]: i for i in intervals}
    rounded = lambda b: (b + 63) // 64 * 64  # noqa: E731
    assert plan["naive_bytes"] == sum(rounded(i["bytes"]) for i in intervals)
    for i in intervals:
        assert 0 <= i["first"] <= i["last"] < len(plan["order"])
        assert i["offset"] % 64 == 0 and i["offset"] + i["bytes"] <= plan["arena_bytes"]
        if i["in_place_of"] != -1:  # it overwrites an input that dies at the step that makes it
            src = by_value[i["in_place_of"]]
            assert src["last"] == i["first"] and src["offset"] == i["offset"]
    # No two values live at one step may share a byte (an in-place pair shares its one step on purpose).
    for a in intervals:
        for b in intervals:
            if a["value"] >= b["value"]:
                continue
            overlap_time = a["first"] <= b["last"] and b["first"] <= a["last"]
            overlap_bytes = a["offset"] < b["offset"] + b["bytes"] and b["offset"] < a["offset"] + a["bytes"]
            handover = b["in_place_of"] == a["value"] or a["in_place_of"] == b["value"]
            assert not (overlap_time and overlap_bytes) or handover, (a, b)


def test_plan_memory(loaded, optimized):
    for graph in (loaded[0], optimized["graph"]):
        plan = gb.passes.plan_memory(graph)
        check_plan(plan)
        assert plan["text"].startswith("order:")
        logits = [i for i in plan["intervals"] if i["name"] == "logits"]
        assert len(logits) == 1 and logits[0]["bytes"] == 2 * 5 * 4
        assert logits[0]["last"] == len(plan["order"]) - 1  # a graph output lives to the end
        alone = gb.passes.plan_memory(graph, in_place=False, share=False)
        assert alone["arena_bytes"] == alone["naive_bytes"] == plan["naive_bytes"] and alone["in_place_count"] == 0
    # The unoptimised graph has elementwise ops (BatchNormalization, Relu, Add): they run in place.
    assert gb.passes.plan_memory(loaded[0])["in_place_count"] > 0
    assert gb.passes.plan_memory(optimized["graph"])["naive_bytes"] < gb.passes.plan_memory(loaded[0])["naive_bytes"]


def test_run_with_plan(exported, loaded, optimized):
    for graph in (loaded[0], optimized["graph"]):
        (y,) = run(graph, exported)
        plan = gb.passes.plan_memory(graph)
        np.testing.assert_array_equal(gb.passes.run_with_plan(graph, plan, input=exported["x"])[0], y)
        np.testing.assert_array_equal(gb.passes.run_planned(graph, input=exported["x"])[0], y)
    # Every value at offset 0: values still alive are overwritten, so the arena is really used.
    graph = loaded[0]
    plan = gb.passes.plan_memory(graph)
    broken = dict(plan, intervals=[dict(i, offset=0) for i in plan["intervals"]])
    with pytest.raises(AssertionError):
        check_plan(broken)  # the overlap check above sees it too
    (wrong,) = gb.passes.run_with_plan(graph, broken, input=exported["x"])
    assert not np.allclose(wrong, exported["expected"], rtol=RTOL, atol=ATOL)
    outside = dict(plan, intervals=[dict(i, offset=plan["arena_bytes"]) for i in plan["intervals"]])
    with pytest.raises(gb.Error):
        gb.passes.run_with_plan(graph, outside, input=exported["x"])
    with pytest.raises(gb.Error):
        gb.passes.run_with_plan(graph, {"arena_bytes": 64}, input=exported["x"])


def test_plan_dynamic_batch(exported):
    path = os.path.join(exported["folder"], "dynamic.onnx")
    export(exported["model"], path, torch.from_numpy(exported["x"]), dynamic_batch=True)
    graph, _ = gb.convert.load_onnx(path)
    assert gb.convert.inputs(graph)[0]["shape"][0] == -1
    x = np.random.default_rng(3).standard_normal((3, 3, 6, 6)).astype(np.float32)
    with torch.no_grad():
        expected = exported["model"](torch.from_numpy(x)).numpy()
    with pytest.raises(gb.Error):
        gb.passes.plan_memory(graph)  # the sizes of the batch dimension are unknown without a run
    plan = gb.passes.plan_memory(graph, feeds={"input": x})
    check_plan(plan)
    assert [i["bytes"] for i in plan["intervals"] if i["name"] == "logits"] == [3 * 5 * 4]
    np.testing.assert_allclose(gb.passes.run_planned(graph, input=x)[0], expected, rtol=RTOL, atol=ATOL)


def test_export_onnx_round_trip(exported, loaded):
    data = gb.convert.export_onnx(loaded[0], opset=13)
    assert isinstance(data, bytes)
    gb.convert.check_onnx(data)
    graph, info = gb.convert.load_onnx(data)
    assert info["opset"] == 13 and info["producer"] == "glassbox"
    assert info["input_names"] == ["input"] and info["output_names"] == ["logits"]
    np.testing.assert_array_equal(run(graph, exported)[0], run(loaded[0], exported)[0])


def test_export_after_folding(exported, loaded, optimized):
    # Folding BN keeps the graph in ONNX's operator set; the fused ops (FusedConv) are glassbox's own.
    folded = gb.passes.optimize(loaded[0], passes=["conv_bn_folding", "dead_code_elimination"])["graph"]
    data = gb.convert.export_onnx(folded)
    gb.convert.check_onnx(data)
    graph, _ = gb.convert.load_onnx(data)
    np.testing.assert_allclose(run(graph, exported)[0], exported["expected"], rtol=RTOL, atol=ATOL)
    with pytest.raises(gb.Error, match="FusedConv"):
        gb.convert.export_onnx(optimized["graph"])


def test_glassbox_format_round_trip(exported, loaded, optimized):
    for graph in (loaded[0], optimized["graph"]):
        data = gb.convert.save_glassbox(graph)
        back = gb.convert.load_glassbox(data)
        assert gb.convert.save_glassbox(back) == data  # deterministic: the same graph, the same bytes
        np.testing.assert_array_equal(run(back, exported)[0], run(graph, exported)[0])
        layout = gb.convert.flatbuffer_layout(data)
        assert layout[0]["offset"] == 0 and "header" in layout[0]["what"]
        assert all(0 <= r["offset"] and r["offset"] + r["size"] <= len(data) for r in layout)
        assert data[4:8] == b"GBOX"  # the file identifier after the root offset
    # The weights travel raw in both formats: the glassbox buffer is no bigger than the ONNX file plus slack.
    assert len(gb.convert.save_glassbox(loaded[0])) < 2 * os.path.getsize(exported["path"])


def test_hex_dump_and_wire_fields(exported):
    with open(exported["path"], "rb") as f:
        data = f.read()
    dump = gb.convert.hex_dump(data, max_lines=60)
    for text in ("field 1 (ir_version)", "field 2 (producer_name)", '"pytorch"', "field 7 (graph)", "GraphProto",
                 "NodeProto", '"Conv"'):
        assert text in dump
    assert len(dump.splitlines()) <= 61
    fields = gb.convert.decode_wire(data)
    by_number = {f["field_number"]: f for f in fields}
    producer = by_number[2]
    assert producer["wire_type"] == 2
    assert data[producer["value_offset"]:producer["value_offset"] + producer["value_size"]] == b"pytorch"
    assert by_number[1]["wire_type"] == 0 and by_number[1]["varint"] == 7  # torch 1.13 writes IR version 7
    assert fields[-1]["value_offset"] + fields[-1]["value_size"] == len(data)
    assert "!" in gb.convert.hex_dump(b"\x0f")  # wire type 7: the decoding error is shown in the dump


def test_bad_input_raises_glassbox_error(exported, loaded):
    with open(exported["path"], "rb") as f:
        data = f.read()
    for bad in (b"garbage", data[:100]):
        with pytest.raises(gb.Error):
            gb.convert.load_onnx(bad)
        with pytest.raises(gb.Error):
            gb.convert.check_onnx(bad)
        with pytest.raises(gb.Error):
            gb.convert.load_glassbox(bad)
    with pytest.raises(gb.Error):
        gb.convert.load_glassbox(gb.convert.save_glassbox(loaded[0])[:64])
    with pytest.raises(gb.Error):
        gb.convert.load_onnx(os.path.join(exported["folder"], "missing.onnx"))
    with pytest.raises(gb.Error):
        gb.convert.load_onnx(42)
    with pytest.raises(gb.Error):
        gb.convert.decode_wire(b"\x08")  # a varint cut short
    with pytest.raises(gb.Error):
        gb.convert.run(loaded[0])  # no feed for the input
    with pytest.raises(gb.Error):
        gb.convert.run(loaded[0], input=np.zeros((2, 3, 5, 5), np.float32))  # the wrong shape
    with pytest.raises(gb.Error):
        gb.convert.export_onnx(loaded[0], opset=99)
    for call in (gb.convert.export_onnx, gb.convert.save_glassbox, gb.passes.optimize, gb.passes.plan_memory,
                 gb.passes.run_planned):
        with pytest.raises(gb.Error, match="expected a gb.graph.Graph"):
            call("not a graph")
