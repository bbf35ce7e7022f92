"""Lessons run from Python and give Recordings as plain dicts; the JSON round trip and replay."""
import copy
import json

import pytest

import glassbox as gb


@pytest.fixture(scope="module")
def tour():
    return gb.lessons.run("00-tour")


def test_catalogue():
    lessons = gb.lessons.list()
    assert lessons and lessons[0]["id"] == "00-tour"
    tour = lessons[0]
    assert tour["title"] and tour["part"]
    names = [p["name"] for p in tour["parameters"]]
    assert {"seed", "samples", "bins"} <= set(names)
    assert all(set(p) == {"name", "default", "help"} for p in tour["parameters"])
    assert "00-tour" in gb.lessons.ids()
    assert gb.lessons.text("00-tour").strip()


def test_tour_recording(tour):
    assert tour["lesson"] == "00-tour"
    assert len(tour["scenes"]) == 8
    ids = [s["id"] for s in tour["scenes"]]
    assert len(set(ids)) == 8
    kinds = {s["kind"] for s in tour["scenes"]}
    assert kinds == {"graph", "tensor", "timeline", "plot", "table", "text"}
    assert tour["steps"] and all(step["caption"] for step in tour["steps"])
    assert tour["parameters"]["seed"] == "7"
    assert json.loads(json.dumps(tour)) == tour  # plain dicts, lists, strings and numbers


def test_run_is_deterministic_and_takes_parameters(tour):
    assert gb.lessons.run("00-tour") == tour
    small = gb.lessons.run("00-tour", {"samples": 400, "bins": 8, "seed": 1})
    assert small["parameters"]["bins"] == "8"
    hist = gb.trace.find_scene(gb.trace.replay(small, len(small["steps"]) - 1), "histogram")
    samples = next(s for s in hist["plot"]["series"] if s["name"] == "samples")
    assert len(samples["y"]) == 8 and len(samples["x"]) == 9
    assert sum(samples["y"]) <= 400
    assert gb.lessons.run_json("00-tour").startswith("{")


def test_bad_lesson_input_raises():
    with pytest.raises(gb.Error) as info:
        gb.lessons.run("no-such-lesson")
    assert "00-tour" in str(info.value)  # names the known ids
    with pytest.raises(gb.Error):
        gb.lessons.run("00-tour", {"no_such_parameter": 1})
    with pytest.raises(gb.Error):
        gb.lessons.run("00-tour", {"samples": "many"})


def test_json_round_trip(tour):
    text = gb.trace.to_json(tour)
    assert text == gb.lessons.run_json("00-tour", indent=1)  # the C++ writer's exact bytes
    assert gb.trace.from_json(text) == tour
    assert gb.trace.to_json(gb.trace.from_json(text)) == text
    assert gb.trace.num_steps(tour) == len(tour["steps"])


def test_corrupt_recordings_raise(tour):
    with pytest.raises(gb.Error):
        gb.trace.from_json("{not json")
    bad = copy.deepcopy(tour)
    del bad["scenes"][0]["id"]
    with pytest.raises(gb.Error):
        gb.trace.to_json(bad)
    bad = copy.deepcopy(tour)
    bad["steps"][1]["changes"].append({"kind": "write_cells", "scene": "a", "cells": [999], "values": [1.0]})
    with pytest.raises(gb.Error):
        gb.trace.validate(bad)
    with pytest.raises(gb.Error):
        gb.trace.replay(tour, len(tour["steps"]))


def test_replay(tour):
    initial = gb.trace.replay(tour, -1)
    assert initial["step"] == -1 and len(initial["scenes"]) == 8
    c0 = gb.trace.find_scene(initial, "c")
    assert c0["tensor"]["values"] == [0.0] * 6 or "values" not in c0["tensor"]
    last = gb.trace.replay(tour, len(tour["steps"]) - 1)
    c = gb.trace.find_scene(last, "c")
    assert c["tensor"]["values"] == [10.0, 21.0, 32.0, 13.0, 24.0, 35.0]  # arange(6).reshape(2,3) + [10,20,30]
    table = gb.trace.find_scene(last, "reductions")
    assert len(table["table"]["rows"]) == 7 and table["table"]["rows"][0][0] == "sum(m)"
    graph = gb.trace.find_scene(last, "graph")
    assert all(n.get("state") == "done" for n in graph["graph"]["nodes"])
    # Transient marks belong to one step: find the first write into c.
    k = next(i for i, s in enumerate(tour["steps"])
             if any(ch["kind"] == "write_cells" and ch["scene"] == "c" for ch in s["changes"]))
    state = gb.trace.replay(tour, k)
    marks = {s["scene"]["id"]: s for s in state["scenes"]}
    assert marks["c"]["cells_written"] == [0] and marks["a"]["cells_read"] == [0]
    assert gb.trace.find_scene(state, "c")["tensor"]["values"][0] == 10.0


def test_exporters(tour):
    assert "digraph" in gb.trace.to_dot(tour)
    chrome = gb.trace.to_chrome_trace(tour)
    assert chrome["traceEvents"]
    scene = gb.trace.tensor_scene("m", "a matrix", gb.arange(6).reshape(2, 3))
    assert scene["kind"] == "tensor" and scene["tensor"]["rows"] == 2 and scene["tensor"]["cols"] == 3
