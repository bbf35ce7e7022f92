#!/usr/bin/python3
"""check_files.py: the viewer with files: corrupt ones show the error panel and the viewer keeps running;
saved states, parameter files, --size and search reach the state they name.

  corrupt   a corrupt Recording (bad JSON, a change naming a missing scene, a missing file) and a corrupt
            state file (garbage, an unknown lesson, a step past the end): `glassbox shot` exits 0, writes
            a non-blank PNG, and its --stats say the error panel was shown with the message.
  state     `shot --state F` equals `shot LESSON --param ... --step N --level L`; `--params F` equals
            repeated --param; --size WxH sets the PNG size; --search jumps to the first step lighting
            a matching node (checked against the Recording).

Usage (DISPLAY must be set; ctest runs it under xvfb-run):  check_files.py GLASSBOX OUTDIR corrupt|state
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from viewer_checks import expect_not_blank, image_summary, lesson_ids, must, run, shot  # noqa: E402


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def expect_error_panel(glassbox, out, name, args, message):
    png = os.path.join(out, name + ".png")
    stats = shot(glassbox, png, *args, stats=png + ".json")
    if not stats["error_panel"]:
        sys.exit(f"{name}: expected the error panel, stats say {json.dumps(stats)[:300]}")
    if message not in stats["error"]:
        sys.exit(f"{name}: expected {message!r} in the error panel, got {stats['error']!r}")
    expect_not_blank(png)
    print(f"ok: {name}: error panel: {stats['error'][:120]}")


def corrupt(glassbox, out):
    lesson = lesson_ids(glassbox)[0]
    good = os.path.join(out, "good.json")
    must(run(glassbox, "export", lesson, "--format", "json", "-o", good), "export")
    with open(good) as f:
        recording = json.load(f)
    bad_json = write(os.path.join(out, "bad.json"), open(good).read()[:200])  # cut off mid-way
    # Valid JSON, but a change names a scene the Recording does not have: replay must refuse it.
    broken = json.loads(json.dumps(recording))
    changed = next(s for s in broken["steps"] if s.get("changes"))
    changed["changes"][0]["scene"] = "no-such-scene"
    bad_change = write(os.path.join(out, "bad-change.json"), json.dumps(broken))
    expect_error_panel(glassbox, out, "recording-bad-json", ["--recording", bad_json], "Recording file")
    expect_error_panel(glassbox, out, "recording-bad-change", ["--recording", bad_change], "no-such-scene")
    expect_error_panel(glassbox, out, "recording-missing", ["--recording", os.path.join(out, "nothing.json")],
                       "nothing.json")
    garbage = write(os.path.join(out, "garbage.state"), "\x00\x01 this is not a state file\n")
    expect_error_panel(glassbox, out, "state-garbage", ["--state", garbage], "line 1")
    unknown = write(os.path.join(out, "unknown.state"), "lesson = 99-no-such-lesson\nstep = 1\n")
    expect_error_panel(glassbox, out, "state-unknown-lesson", ["--state", unknown], "99-no-such-lesson")
    far = write(os.path.join(out, "far.state"), f"lesson = {lesson}\nstep = 1000000\n")
    expect_error_panel(glassbox, out, "state-step-past-end", ["--state", far], "1000000")


def first_search_hit(recording):
    """(query, step as on screen) for the label of a graph node some step changes, or None."""
    nodes = {}
    for scene in recording["scenes"]:
        for n in scene.get("graph", {}).get("nodes", []) if scene["kind"] == "graph" else []:
            nodes[(scene["id"], n["id"])] = n
    for step in recording["steps"]:
        for c in step.get("changes", []):
            if c["kind"] == "add_node":
                nodes[(c["scene"], c["node"]["id"])] = c["node"]
    for k, step in enumerate(recording["steps"]):
        for c in step.get("changes", []):
            if c["kind"] in ("highlight", "node_state", "set_value", "set_gradient") and (c["scene"], c.get("target")) in nodes:
                query = nodes[(c["scene"], c["target"])]["id"].lower()
                # The first step whose changes touch any node matching the query.
                for j, s in enumerate(recording["steps"]):
                    for d in s.get("changes", []):
                        target = d["node"]["id"] if d["kind"] == "add_node" else d.get("target")
                        n = nodes.get((d["scene"], target))
                        if d["kind"] in ("highlight", "node_state", "set_value", "set_gradient", "add_node") and n and any(
                                query in (n.get(f) or "").lower() for f in ("id", "label", "op")):
                            return query, j + 1
    return None


def state(glassbox, out):
    lesson = lesson_ids(glassbox)[0]
    listing = must(run(glassbox, "list"), "list").stdout
    params = [l.split()[1] for l in listing.splitlines() if l.strip().startswith("--param")][:1]
    total_json = os.path.join(out, "state-lesson.json")
    must(run(glassbox, "export", lesson, "--format", "json", "-o", total_json), "export")
    with open(total_json) as f:
        recording = json.load(f)
    step = max(1, len(recording["steps"]) // 2)
    param_args = [a for p in params for a in ("--param", p)]
    state_text = f"# a teacher's file\nlesson = {lesson}\n" + "".join(f"param.{p.replace('=', ' = ', 1)}\n" for p in params)
    state_file = write(os.path.join(out, "hand-out.state"), state_text + f"step = {step}\nlevel = op\n")
    a = shot(glassbox, os.path.join(out, "state.png"), "--state", state_file, stats=os.path.join(out, "state.json"))
    b = shot(glassbox, os.path.join(out, "direct.png"), lesson, *param_args, "--step", str(step), "--level", "op",
             stats=os.path.join(out, "direct.json"))
    if a["error_panel"] or (a["step"], a["level"], a["lesson"]) != (step, "op", lesson):
        sys.exit(f"--state {state_file} opened {a['lesson']} step {a['step']} level {a['level']}: {a['error']}")
    if image_summary(os.path.join(out, "state.png"))[4] != image_summary(os.path.join(out, "direct.png"))[4]:
        sys.exit("shot --state differs from the same lesson, parameters, step and level on the command line")
    print(f"ok: --state {state_file} = {lesson} step {step} level op")
    # --params F: NAME=VALUE lines, the same as repeated --param.
    params_file = write(os.path.join(out, "params.txt"), "# parameters\n" + "".join(p + "\n" for p in params))
    shot(glassbox, os.path.join(out, "params.png"), lesson, "--params", params_file, "--step", str(step), "--level", "op")
    if image_summary(os.path.join(out, "params.png"))[4] != image_summary(os.path.join(out, "direct.png"))[4]:
        sys.exit("shot --params F differs from the same parameters given with --param")
    print(f"ok: --params {params_file}")
    shot(glassbox, os.path.join(out, "small.png"), lesson, "--step", "1", "--size", "900x620")
    width, height = image_summary(os.path.join(out, "small.png"))[:2]
    if (width, height) != (900, 620):
        sys.exit(f"--size 900x620 gave {width}x{height}")
    print("ok: --size 900x620")
    # Search: over every lesson with a graph, the first step lighting a node is found from the start.
    for lid in lesson_ids(glassbox):
        path = os.path.join(out, f"search-{lid}.json")
        if run(glassbox, "export", lid, "--format", "json", "-o", path).returncode != 0:
            print(f"skipped: {lid} does not run (viewer_every_lesson and the lesson tests report it)")
            continue
        with open(path) as f:
            hit = first_search_hit(json.load(f))
        if not hit:
            continue
        query, expected = hit
        got = shot(glassbox, os.path.join(out, f"search-{lid}.png"), lid, "--step", "0", "--search", query.upper(),
                   stats=os.path.join(out, f"search-{lid}.stats.json"))
        if got["step"] != expected:
            sys.exit(f"{lid}: --search {query.upper()} went to step {got['step']}, expected {expected} ({got['search']})")
        print(f"ok: {lid}: search '{query.upper()}' -> step {expected}")


def main():
    glassbox, out, which = sys.argv[1], sys.argv[2], sys.argv[3]
    if not os.environ.get("DISPLAY"):
        sys.exit("check_files.py needs a display: run it under xvfb-run -a")
    os.makedirs(out, exist_ok=True)
    {"corrupt": corrupt, "state": state}[which](glassbox, out)


if __name__ == "__main__":
    main()
