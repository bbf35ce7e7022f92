#!/usr/bin/env python3
"""check_parallel_command.py: `glassbox parallel` end to end (tests/training/CMakeLists.txt).

    check_parallel_command.py GLASSBOX numbers DIR      the printed numbers agree with each other and with the
                                                        formulas they come from (parameters per device x tp summed
                                                        over stages = the total, model-state bytes = 2, 2, K per
                                                        parameter, compute + idle = step), and --trace writes a
                                                        Perfetto trace that Python's json reads, one X event per task
    check_parallel_command.py GLASSBOX bad-arguments    bad meshes and options exit 1 with a message naming them

The formulas here are the published ones (12 L h^2 + V h parameters; ZeRO's 2 + 2 + K bytes per parameter with
K = 12 sharded over dp); every number checked is read from the command's output, which it measured.
"""
import json
import math
import os
import re
import subprocess
import sys

GIB = 2 ** 30


def check(ok, message):
    if not ok:
        sys.exit(message)


def run(glassbox, *args):
    return subprocess.run([glassbox, "parallel", *args], capture_output=True, text=True)


def report(glassbox, *args):
    proc = run(glassbox, *args)
    check(proc.returncode == 0, f"glassbox parallel {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def parse(stdout):
    m = re.search(r"^model (\S+): (\d+) parameters \(L (\d+), h (\d+), a (\d+), s (\d+), V (\d+)\)", stdout, re.M)
    check(m is not None, f"no model line in:\n{stdout}")
    out = {"model": m[1], "total": int(m[2]), "L": int(m[3]), "h": int(m[4]), "V": int(m[7])}
    m = re.search(r"^mesh dp (\d+) x tp (\d+) x pp (\d+) = (\d+) devices, (\d+) devices per node, ZeRO-(\d)", stdout, re.M)
    check(m is not None, f"no mesh line in:\n{stdout}")
    out.update(dp=int(m[1]), tp=int(m[2]), pp=int(m[3]), devices=int(m[4]), per_node=int(m[5]), zero=int(m[6]))
    out["tp_in_node"] = re.search(r"TP groups \(inside one node: (yes|no)\)", stdout)[1] == "yes"
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("stage  parameters/device"))
    out["stages"] = [[float(x) for x in l.split()] for l in lines[start + 1:start + 1 + out["pp"]]]
    m = re.search(r"^step time ([\d.]+) ms, bubble and waits ([\d.]+)% of device time", stdout, re.M)
    check(m is not None, f"no step time line in:\n{stdout}")
    out["step_ms"], out["bubble"] = float(m[1]), float(m[2]) / 100
    start = next(i for i, l in enumerate(lines) if l.startswith("device  dp tp pp"))
    out["devices_rows"] = [[float(x) for x in l.split()] for l in lines[start + 1:] if re.match(r"^\s*\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+", l)]
    out["fits"] = "fits: yes" in stdout
    return out


def check_numbers(r, args):
    what = " ".join(args)
    # 12 L h^2 + V h, with Megatron's copy of the embedding on the last stage when pp > 1.
    check(r["total"] == 12 * r["L"] * r["h"] ** 2 + r["V"] * r["h"], f"{what}: total {r['total']} is not 12 L h^2 + V h")
    held = sum(int(row[1]) for row in r["stages"]) * r["tp"]
    expected = r["total"] + (r["V"] * r["h"] if r["pp"] > 1 else 0)
    check(held == expected, f"{what}: parameters per device x tp over the stages = {held}, expected {expected}")
    for row in r["stages"]:
        n = int(row[1])
        shard = math.ceil(n / r["dp"]) if r["zero"] == 1 else n
        for column, bytes_ in ((2, 2 * n), (3, 2 * n), (4, 12 * shard)):
            check(abs(row[column] - bytes_ / GIB) <= 0.006, f"{what}: stage {int(row[0])} column {column} {row[column]} != {bytes_ / GIB:.3f} GiB")
        check(abs(row[6] - sum(row[2:6])) <= 0.03, f"{what}: peak {row[6]} is not the sum of the kinds {row[2:6]}")
    check(len(r["devices_rows"]) == min(r["devices"], 32), f"{what}: {len(r['devices_rows'])} device rows")
    for d, dp, tp, pp, compute, tp_c, pp_c, dp_c, idle in r["devices_rows"]:
        check(abs(compute + idle - r["step_ms"]) <= 0.003, f"{what}: device {d}: compute + idle != step")
        check((tp_c > 0) == (r["tp"] > 1) and (pp_c > 0) == (r["pp"] > 1) and (dp_c > 0) == (r["dp"] > 1),
              f"{what}: device {d}: communication {tp_c, pp_c, dp_c} for a mesh {r['dp'], r['tp'], r['pp']}")
    check(r["tp_in_node"] == (r["tp"] <= r["per_node"]), f"{what}: TP placement")


def numbers(glassbox, directory):
    os.makedirs(directory, exist_ok=True)
    runs = {}
    for args in (["--dp", "16"], ["--dp", "4", "--tp", "4"], ["--dp", "2", "--tp", "4", "--pp", "2", "--zero", "1"]):
        full = [*args, "--model", "gpt-1.3b"]
        r = parse(report(glassbox, *full))
        check_numbers(r, full)
        runs[tuple(args)] = r
    # Tensor and pipeline parallelism divide the model states: 16 ranks of pure DP hold the most.
    peaks = [r["stages"][0][6] for r in runs.values()]
    check(peaks[0] > peaks[1] > peaks[2], f"peaks {peaks} do not fall from dp 16 to dp 4 tp 4 to dp 2 tp 4 pp 2")
    # A model that does not fit: 13 B parameters x 16 bytes of model states on one 80 GiB device.
    check("fits: NO" in report(glassbox, "--model", "gpt-13b", "--microbatches", "1"), "gpt-13b on one device fits?")

    trace = os.path.join(directory, "step.json")
    stdout = report(glassbox, "--dp", "2", "--tp", "2", "--pp", "2", "--microbatches", "4", "--trace", trace)
    r = parse(stdout)
    tasks = int(re.search(r"^trace: (\d+) tasks written to", stdout, re.M)[1])
    with open(trace) as f:
        events = json.load(f)["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    check(len(complete) == tasks, f"{len(complete)} X events for {tasks} tasks")
    check(all(e["dur"] >= 0 and e["ts"] >= 0 for e in complete), "negative times in the trace")
    check({e["cat"] for e in complete} == {"setup", "compute", "TP", "PP", "DP"}, f"categories {({e['cat'] for e in complete})}")
    end_ms = max(e["ts"] + e["dur"] for e in complete) / 1000
    check(abs(end_ms - r["step_ms"]) <= 0.001, f"the trace ends at {end_ms} ms, the step takes {r['step_ms']} ms")
    check(any(e["ph"] == "C" for e in events), "no memory counters in the trace")
    print("numbers: ok")


def bad_arguments(glassbox):
    cases = [
        (["--tp", "5"], "tp"),                    # 5 does not divide 12 heads
        (["--pp", "5"], "layers"),                # nor 12 layers
        (["--pp", "2", "--zero", "2"], "micro-batch"),
        (["--model", "gpt-9"], "gpt-small"),
        (["--dp", "0"], "--dp"),
        (["--dp", "4096", "--tp", "4096", "--pp", "4096"], "devices"),
        (["--dp", "two"], "--dp"),
        (["--bogus", "1"], "--bogus"),
        (["--dp"], "--dp"),
        (["--trace", "/nonexistent/dir/t.json"], "--trace"),
    ]
    for args, word in cases:
        proc = run(glassbox, *args)
        check(proc.returncode == 1, f"glassbox parallel {' '.join(args)}: exit {proc.returncode}, expected 1\n{proc.stderr}")
        check(word in proc.stderr, f"glassbox parallel {' '.join(args)}: {word!r} not in the message {proc.stderr!r}")
    print("bad-arguments: ok")


if __name__ == "__main__":
    glassbox, what = sys.argv[1], sys.argv[2]
    if what == "numbers":
        numbers(glassbox, sys.argv[3])
    elif what == "bad-arguments":
        bad_arguments(glassbox)
    else:
        sys.exit(f"unknown check {what}")
