#!/usr/bin/python3
"""check_lessons.py: the viewer's acceptance test over EVERY lesson `glassbox list` shows (found at test time).

For each lesson: shots at the first, a middle and the last step are not blank and differ from each
other; `--stats` says each panel drew as many graph nodes, edges, tensor cells, spans, counter points
and table rows as the Recording (`glassbox export --format json`) holds at that step; and the same
Recording opened as a file (`--recording`) draws the same.

Usage (DISPLAY must be set; ctest runs it under xvfb-run):  check_lessons.py GLASSBOX OUTDIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from viewer_checks import (compare_stats, expect_not_blank, expected_counts, lesson_ids, must, run,  # noqa: E402
                           shot)


def check_lesson(glassbox, out, lesson):
    recording_path = os.path.join(out, f"{lesson}.json")
    must(run(glassbox, "export", lesson, "--format", "json", "-o", recording_path), f"export {lesson}")
    with open(recording_path) as f:
        recording = json.load(f)
    total = len(recording["steps"])
    if total == 0:
        sys.exit(f"{lesson}: the Recording has no steps")
    steps = sorted({1, max(1, total // 2), total})
    pixels = {}
    for step in steps:
        png = os.path.join(out, f"{lesson}-step{step}.png")
        stats = shot(glassbox, png, lesson, "--step", str(step), stats=png + ".json")
        where = f"{lesson} step {step}/{total}"
        if stats["error_panel"] or stats["step"] != step or stats["steps"] != total:
            sys.exit(f"{where}: unexpected stats {json.dumps(stats)[:400]}")
        compare_stats(stats, expected_counts(recording, step), where)
        pixels[step] = expect_not_blank(png)
        for other, seen in pixels.items():
            if other != step and seen == pixels[step]:
                sys.exit(f"{lesson}: the shots at steps {other} and {step} are identical")
    # The Recording file shows the same scenes, drawn the same, as the lesson run.
    middle = steps[len(steps) // 2]
    png = os.path.join(out, f"{lesson}-file-step{middle}.png")
    stats = shot(glassbox, png, "--recording", recording_path, "--step", str(middle), stats=png + ".json")
    if stats["error_panel"] or stats["source"] != "recording":
        sys.exit(f"{lesson}: --recording {recording_path} was not shown: {stats['error']}")
    compare_stats(stats, expected_counts(recording, middle), f"{lesson} from its Recording file, step {middle}")
    expect_not_blank(png)
    print(f"ok: {lesson}: steps {steps} of {total}, {len(recording['scenes'])} scenes")


def main():
    glassbox, out = sys.argv[1], sys.argv[2]
    if not os.environ.get("DISPLAY"):
        sys.exit("check_lessons.py needs a display: run it under xvfb-run -a")
    os.makedirs(out, exist_ok=True)
    lessons = lesson_ids(glassbox)
    failed = []
    for lesson in lessons:  # every lesson is checked, and every failure reported, before the verdict
        try:
            check_lesson(glassbox, out, lesson)
        except SystemExit as e:
            print(f"FAILED: {lesson}: {e}")
            failed.append(lesson)
    if failed:
        sys.exit(f"{len(failed)} of {len(lessons)} lessons failed in the viewer: {', '.join(failed)}")
    print(f"ok: {len(lessons)} lessons: {', '.join(lessons)}")


if __name__ == "__main__":
    main()
