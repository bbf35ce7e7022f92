"""glassbox.passes: graph optimisation and memory planning (lesson 17).

    graph, _ = gb.convert.load_onnx("m.onnx")
    r = gb.passes.optimize(graph)                 # the default pipeline, repeated to a fixed point
    r["ops_before"], r["ops_after"]               # nodes that compute something
    for row in r["log"]:                          # one row per rule that fired
        print(row["pass"], row["rule"], row["detail"], row["before"], "->", row["after"])
    gb.passes.optimize(graph, passes=["conv_bn_folding"], fixed_point=False)
    plan = gb.passes.plan_memory(r["graph"])      # naive_bytes, peak_live_bytes, arena_bytes, intervals, text
    gb.passes.run_with_plan(r["graph"], plan, input=x)   # every value inside the planned arena
    gb.passes.run_planned(r["graph"], input=x)    # plan_memory + run_with_plan in one call

The log's node ids: `before` are nodes of the graph the pass was given, `after` nodes of the graph it made.
Plans are dicts; run_with_plan reads one back, so an edited plan runs as edited (a wrong offset gives wrong
outputs, an offset outside the arena raises glassbox.Error). Feeds are converted to the dtypes the graph
declares (gb.convert.feeds_for). Bad input raises glassbox.Error.
"""
import json as _json

from . import _glassbox
from .convert import _graph, feeds_for as _feeds_for

_p = _glassbox.passes

__all__ = ["names", "all_passes", "default_pipeline", "op_count", "optimize", "plan_memory", "run_with_plan",
           "run_planned"]


def all_passes():
    """Every pass: [{name, stage, doc}] (stages: basic, fusion, layout)."""
    return list(_p.all_passes())


def names():
    """The names of every pass, for optimize(passes=[...])."""
    return [p["name"] for p in _p.all_passes()]


def default_pipeline():
    """The names of the default pipeline, in order."""
    return [p["name"] for p in _p.default_pipeline()]


def op_count(graph):
    """Nodes that compute something: every node but placeholders and constants."""
    return _p.op_count(_graph(graph, "passes.op_count"))


def optimize(graph, passes=None, fixed_point=True, max_rounds=4, record=False):
    """Runs passes (a list of names, or None for the default pipeline) once or to a fixed point.

    Returns {graph, ops_before, ops_after, log: [{pass, rule, detail, before, after}], runs: [{pass,
    rewrites, ops_before, ops_after}] (one per pass run), log_text, and with record=True the recording as a
    dict (a graph scene before and after each pass, one step per rewrite)}."""
    if isinstance(passes, str):
        passes = [passes]
    result = dict(_p.optimize(_graph(graph, "passes.optimize"), None if passes is None else [str(p) for p in passes], bool(fixed_point),
                              int(max_rounds), bool(record)))
    result["log"] = list(result["log"])
    result["runs"] = list(result["runs"])
    if record:
        result["recording"] = _json.loads(result["recording"])
    return result


def plan_memory(graph, in_place=True, share=True, feeds=None):
    """The memory plan: {naive_bytes, peak_live_bytes, arena_bytes, in_place_count, order: [{node, op,
    name}], intervals: [{value, name, bytes, first, last, offset, in_place_of}], text}. Steps index `order`.
    feeds (a dict by input name) size the dynamic dimensions by running the graph once."""
    _graph(graph, "passes.plan_memory")
    if feeds is not None:
        feeds = _feeds_for(graph, feeds)
    plan = dict(_p.plan_memory(graph, bool(in_place), bool(share), feeds))
    plan["order"] = list(plan["order"])
    plan["intervals"] = list(plan["intervals"])
    return plan


def run_with_plan(graph, plan, **feeds):
    """Runs the graph with every planned value in one arena at the plan's offsets; the outputs."""
    return list(_p.run_with_plan(_graph(graph, "passes.run_with_plan"), plan, _feeds_for(graph, feeds)))


def run_planned(graph, in_place=True, share=True, **feeds):
    """plan_memory (sized by a first run when a dimension is dynamic), then run_with_plan; the outputs."""
    return list(_p.run_planned(_graph(graph, "passes.run_planned"), _feeds_for(graph, feeds), bool(in_place), bool(share)))
