"""check_exports.py GLASSBOX: `glassbox export 00-tour` in each format, validated as a user's tools would.

- chrome: the Trace Event Format, field by field (what chrome://tracing and ui.perfetto.dev read).
- dot:    accepted by Graphviz (`dot -Tsvg`), with the tour's stable node ids.
- json:   well-formed, with the recording's lesson, scenes and steps.
"""
import json
import os
import subprocess
import sys
import tempfile

glassbox = sys.argv[1]
tmp = tempfile.mkdtemp()


def export(fmt):
    path = os.path.join(tmp, f"tour.{fmt}")
    subprocess.run([glassbox, "export", "00-tour", "--format", fmt, "-o", path], check=True)
    with open(path, encoding="utf-8") as f:
        return f.read()


# --- chrome ---------------------------------------------------------------------------------
trace = json.loads(export("chrome"))
events = trace["traceEvents"]
assert isinstance(events, list) and events, "traceEvents must be a non-empty list"
for e in events:
    assert e["ph"] in {"M", "X", "C", "s", "f", "i"}, f"unexpected phase {e['ph']}"
    assert isinstance(e["pid"], int), e
    assert isinstance(e["name"], str) and e["name"], e
    if e["ph"] != "M":
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
steps_pid = [pid for pid, name in processes.items() if name == "steps"]
assert len(steps_pid) == 1, f"the steps have their own process: {processes}"
lanes = {key: name for key, name in names.items() if key[0] != steps_pid[0]}
assert sorted(lanes.values()) == ["main thread", "worker 0", "worker 1"], names
assert len(lanes) == 3, "one tid per lane"
spans = [e for e in events if e["ph"] == "X"]
assert sorted(e["name"] for e in spans) == ["join", "rows 0-3", "rows 4-5", "split rows"], spans
for e in spans:
    assert (e["pid"], e["tid"]) in lanes, f"span on an unnamed lane: {e}"
    assert e["pid"] in processes
    assert isinstance(e["dur"], (int, float)) and e["dur"] > 0, e
by_name = {e["name"]: e for e in spans}
assert by_name["rows 0-3"]["dur"] == 256 and by_name["rows 4-5"]["dur"] == 128
assert names[(by_name["rows 0-3"]["pid"], by_name["rows 0-3"]["tid"])] == "worker 0"
counters = [e for e in events if e["ph"] == "C"]
assert counters and all("memory (bytes)" in json.dumps(e["args"]) for e in counters), counters
starts = {e["id"]: e for e in events if e["ph"] == "s"}
finishes = {e["id"]: e for e in events if e["ph"] == "f"}
assert len(starts) == 4 and set(starts) == set(finishes), "every flow has a start and a finish"
for fid, f in finishes.items():
    assert f.get("bp") == "e", f
    assert f["ts"] >= starts[fid]["ts"], (starts[fid], f)
steps = [e for e in events if e["ph"] == "i"]
assert len(steps) > 20, "the steps appear as instant events"
assert all(e["pid"] == steps_pid[0] for e in steps), "instant events live on the steps track"

# --- dot ------------------------------------------------------------------------------------
dot = export("dot")
assert dot.lstrip().startswith("digraph")
for node in ("x", "W", "bias", "matmul", "add", "relu", "loss"):
    assert f'"graph/{node}"' in dot, f"stable id graph/{node} missing"
svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True)
assert svg.returncode == 0, svg.stderr
assert "<svg" in svg.stdout

# --- json -----------------------------------------------------------------------------------
rec = json.loads(export("json"))
assert rec["lesson"] == "00-tour"
assert len(rec["scenes"]) == 8 and len(rec["steps"]) > 20
print(f"exports ok: {len(events)} trace events, {len(dot)} bytes of DOT, {len(rec['steps'])} steps")
