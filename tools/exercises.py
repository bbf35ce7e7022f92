"""exercises.py: the exercise fences and the task list, shared by the kit generator and the checks.

A fenced region in lib/ looks like

    // BEGIN EXERCISE(core.broadcast.shape_rule)
    ... the reference solution ...
    // END EXERCISE

and the task list tests/exercises/tasks.json names, for every task: its lesson, the gtest patterns
of the tests that must fail when the task is removed, and the tasks it depends on.
"""
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS_FILE = os.path.join("tests", "exercises", "tasks.json")
SOURCE_EXTENSIONS = (".cpp", ".hpp", ".h", ".cc")
BEGIN = re.compile(r"^([ \t]*)//[ \t]*BEGIN EXERCISE\(([A-Za-z0-9_.\-]+)\)[ \t]*$")
END = re.compile(r"^[ \t]*//[ \t]*END EXERCISE[ \t]*$")


class FenceError(Exception):
    pass


def load_tasks(root=ROOT):
    with open(os.path.join(root, TASKS_FILE), encoding="utf-8") as f:
        tasks = json.load(f)["tasks"]
    ids = [t["id"] for t in tasks]
    if len(ids) != len(set(ids)):
        raise FenceError(f"{TASKS_FILE}: duplicate task ids in {ids}")
    for t in tasks:
        for field in ("id", "lesson", "title", "tests", "depends_on"):
            if field not in t:
                raise FenceError(f"{TASKS_FILE}: task {t.get('id', '?')} has no '{field}'")
        for d in t["depends_on"]:
            if d not in ids:
                raise FenceError(f"{TASKS_FILE}: task {t['id']} depends on unknown task {d}")
    return tasks


def fenced_files(root=ROOT):
    """Every source file under lib/ with its fences: {relative path: [(task, first, last line index)]}."""
    found = {}
    for folder, dirs, files in os.walk(os.path.join(root, "lib")):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(SOURCE_EXTENSIONS):
                continue
            path = os.path.join(folder, name)
            fences = parse_fences(path)
            if fences:
                found[os.path.relpath(path, root)] = fences
    return found


def parse_fences(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    fences, open_fence = [], None
    for i, line in enumerate(lines):
        begin = BEGIN.match(line)
        if begin:
            if open_fence:
                raise FenceError(f"{path}:{i + 1}: BEGIN EXERCISE inside the fence opened at line {open_fence[1] + 1}")
            open_fence = (begin.group(2), i)
        elif END.match(line):
            if not open_fence:
                raise FenceError(f"{path}:{i + 1}: END EXERCISE without a BEGIN")
            fences.append((open_fence[0], open_fence[1], i))
            open_fence = None
    if open_fence:
        raise FenceError(f"{path}:{open_fence[1] + 1}: BEGIN EXERCISE({open_fence[0]}) is never closed")
    return fences


def strip_fences(text, remove):
    """The text with the fences of the tasks in `remove` replaced by GB_TODO("task");.
    Fences of other tasks keep their code (the fence comments stay, so the kit can be re-generated)."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        begin = BEGIN.match(lines[i])
        if begin and begin.group(2) in remove:
            indent, task = begin.group(1), begin.group(2)
            j = i + 1
            while not END.match(lines[j]):
                j += 1
            out.append(f'{indent}GB_TODO("{task}");  // exercise {task}: write this (see its lesson)')
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def dependents(tasks, task_id):
    """task_id and every task that depends on it, directly or not."""
    result, changed = {task_id}, True
    while changed:
        changed = False
        for t in tasks:
            if t["id"] not in result and any(d in result for d in t["depends_on"]):
                result.add(t["id"])
                changed = True
    return result
