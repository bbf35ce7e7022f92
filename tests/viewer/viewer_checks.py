#!/usr/bin/python3
"""viewer_checks.py: helpers the viewer tests share: run `glassbox`, read a PNG, replay counts from a Recording.

Standard library only. The PNG reader lives in check_shot.py; this adds what the lesson-wide checks need.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_shot import read_png  # noqa: E402


def run(glassbox, *args, timeout=300):
    """Runs glassbox with args; returns the CompletedProcess (text output)."""
    return subprocess.run([glassbox, *args], capture_output=True, text=True, timeout=timeout)


def must(result, what):
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def lesson_ids(glassbox):
    """Every lesson `glassbox list` shows (lines '  ID  Title', parameters excluded)."""
    out = must(run(glassbox, "list"), "glassbox list").stdout
    ids = []
    for line in out.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            ids.append(line.split()[0])
    if not ids:
        sys.exit(f"glassbox list shows no lessons:\n{out}")
    return ids


def shot(glassbox, png, *args, stats=None):
    """Renders a shot (DISPLAY must be set, e.g. under xvfb-run); returns the stats dict when asked."""
    if os.path.exists(png):
        os.remove(png)
    extra = ["--stats", stats] if stats else []
    must(run(glassbox, "shot", *args, "-o", png, *extra), "glassbox shot " + " ".join(args))
    if not os.path.exists(png):
        sys.exit(f"glassbox shot {' '.join(args)} wrote no {png}")
    if stats:
        with open(stats) as f:
            return json.load(f)
    return None


def image_summary(png):
    """(width, height, luminance variance, distinct colors, raw pixel bytes) of a PNG."""
    width, height, channels, rows = read_png(png)
    values, colors = [], set()
    for y in range(0, height, 4):
        row = rows[y]
        for x in range(0, width, 4):
            r, g, b = row[x * channels:x * channels + 3]
            values.append(0.299 * r + 0.587 * g + 0.114 * b)
            colors.add((r, g, b))
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return width, height, variance, len(colors), b"".join(rows)


def expect_not_blank(png):
    width, height, variance, colors, pixels = image_summary(png)
    if variance < 100 or colors < 50:
        sys.exit(f"{png} is blank or nearly flat (variance {variance:.1f}, {colors} colors)")
    return pixels


def expected_counts(recording, shown_step):
    """What each scene holds after `shown_step` steps (as on screen), replayed from the Recording JSON.

    Counts only what adds up (nodes, edges, spans, counter points, rows, cells), independently of the
    C++ replay, so a panel that drops or duplicates elements is caught.
    """
    counts = {}
    for scene in recording["scenes"]:
        kind = scene["kind"]
        c = {"kind": kind}
        if kind == "graph":
            g = scene.get("graph", {})
            c["nodes"] = len(g.get("nodes", []))
            c["edges"] = len(g.get("edges", []))
        elif kind == "tensor":
            t = scene.get("tensor", {})
            c["cells"] = t.get("rows", 0) * t.get("cols", 0)
        elif kind == "timeline":
            t = scene.get("timeline", {})
            c["spans"] = len(t.get("spans", []))
            c["counters"] = len(t.get("counters", []))
        elif kind == "table":
            c["rows"] = len(scene.get("table", {}).get("rows", []))
        counts[scene["id"]] = c
    adds = {"add_node": "nodes", "add_edge": "edges", "add_span": "spans", "add_counter": "counters", "add_row": "rows"}
    for step in recording["steps"][:shown_step]:
        for change in step.get("changes", []):
            what = adds.get(change["kind"])
            if what:
                counts[change["scene"]][what] += 1
    return counts


def compare_stats(stats, expected, where):
    """Fails unless every scene was drawn with as many elements as the Recording holds at that step."""
    drawn = stats["scenes"]
    if set(drawn) != set(expected):
        sys.exit(f"{where}: panels drawn for {sorted(drawn)}, scenes in the Recording {sorted(expected)}")
    for sid, exp in expected.items():
        got = drawn[sid]
        checks = {
            "graph": [("nodes_drawn", "nodes"), ("edges_drawn", "edges")],
            "tensor": [("cells_drawn", "cells")],
            "timeline": [("spans_drawn", "spans"), ("counter_points_drawn", "counters")],
            "table": [("rows_in_scene", "rows")],
        }.get(exp["kind"], [])
        for stat, count in checks:
            if exp["kind"] == "tensor" and exp["cells"] == 0:
                continue
            if exp["kind"] == "graph" and exp["nodes"] == 0:
                continue  # "(no nodes yet)"
            if got.get(stat) != exp[count]:
                sys.exit(f"{where}: scene '{sid}' drew {stat} = {got.get(stat)}, the Recording holds {exp[count]} {count}")
