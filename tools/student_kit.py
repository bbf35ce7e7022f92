#!/usr/bin/env python3
"""student_kit.py: makes the student kit, the repository with exercise code replaced by GB_TODO.

    tools/student_kit.py OUT                      every task removed (the kit students get)
    tools/student_kit.py OUT --remove TASK ...    only these tasks removed (used by the kit checks)
    tools/student_kit.py OUT --solutions core ... also ship the reference of these modules in
                                                  solutions/ (build with -DGB_REFERENCE_MODULES=core)

Files are written only when their content changes, so re-generating into the same folder keeps
an existing build incremental. The kit builds and runs as it is; every exercise test fails with
gb::NotImplemented naming its task and lesson until the student writes the code.
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402

KIT_README = """# glassbox student kit

This is glassbox with the code of each exercise replaced by `GB_TODO("task")`: it builds and runs,
and the lessons whose code is not written yet stop with a gb::NotImplemented error naming the task.

Exercises:
{tasks}

Find an exercise: `grep -rn GB_TODO lib/`. Read its lesson (`glassbox run LESSON`, or the viewer),
write the code, then check it:

    make exercise TASK=<task id>

`make exercise` lists the tasks; `make test` runs everything.
"""

SKIP_DIRS = {".git", "out", "solutions", "__pycache__", ".ipynb_checkpoints"}


def source_files(root):
    """The files of the tree: git's list when it is a checkout, else a walk (skipping builds)."""
    try:
        listed = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"],
                                capture_output=True, text=True, check=True).stdout.split("\n")
        return sorted(f for f in listed if f and os.path.isfile(os.path.join(root, f)))
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("build"))
            files += [os.path.relpath(os.path.join(folder, n), root) for n in sorted(names)]
        return files


def write_if_changed(path, data):
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return True


def generate(root, out, remove, solutions):
    tasks = exercises.load_tasks(root)
    ids = {t["id"] for t in tasks}
    unknown = [r for r in remove if r not in ids]
    if unknown:
        raise SystemExit(f"student_kit: unknown task(s) {unknown}; known: {sorted(ids)}")
    fenced = exercises.fenced_files(root)
    seen = {task for fences in fenced.values() for task, _, _ in fences}
    missing = sorted(ids - seen)
    if missing:
        raise SystemExit(f"student_kit: tasks without a fence in lib/: {missing}")
    stray = sorted(seen - ids)
    if stray:
        raise SystemExit(f"student_kit: fences for tasks missing from {exercises.TASKS_FILE}: {stray}")

    out = os.path.abspath(out)
    if out == os.path.abspath(root) or out.startswith(os.path.abspath(root) + os.sep) and \
            not os.path.relpath(out, root).split(os.sep)[0].startswith(("build", "out")):
        raise SystemExit("student_kit: write the kit outside the source tree (or under build*/ or out/)")
    expected = set()
    for rel in source_files(root):
        if rel.split("/")[0] in SKIP_DIRS or rel.startswith(".ci/"):
            continue
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
        if rel in fenced:
            data = exercises.strip_fences(data.decode("utf-8"), set(remove)).encode("utf-8")
        write_if_changed(os.path.join(out, rel), data)
        expected.add(rel)
    # The marker that tells the build this is a kit (its ctest then skips the kit checks, which
    # are for the reference tree), and the student's first page.
    tasks_text = "\n".join(f"- `{t['id']}` (lesson {t['lesson']}): {t['title']}" +
                            ("" if t["id"] in remove else " (solved in this kit)") for t in tasks)
    write_if_changed(os.path.join(out, "STUDENT-KIT.md"), KIT_README.format(tasks=tasks_text).encode("utf-8"))
    expected.add("STUDENT-KIT.md")
    for module in solutions:
        for rel in fenced:
            parts = rel.split(os.sep)
            if len(parts) > 2 and parts[0] == "lib" and parts[1] == module:
                with open(os.path.join(root, rel), "rb") as f:
                    target = os.path.join("solutions", rel)
                    write_if_changed(os.path.join(out, target), f.read())
                    expected.add(target)
    # Files that an earlier generation wrote but the tree no longer has.
    for folder, dirs, names in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith("build")]
        for n in names:
            rel = os.path.relpath(os.path.join(folder, n), out)
            if rel not in expected:
                os.remove(os.path.join(folder, n))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder to write the kit to")
    parser.add_argument("--remove", nargs="*", help="tasks to remove (default: every task)")
    parser.add_argument("--solutions", nargs="*", default=[], help="modules whose reference is shipped in solutions/")
    parser.add_argument("--root", default=exercises.ROOT)
    args = parser.parse_args()
    try:
        remove = args.remove if args.remove is not None else [t["id"] for t in exercises.load_tasks(args.root)]
        out = generate(args.root, args.out, remove, args.solutions)
    except exercises.FenceError as e:
        raise SystemExit(f"student_kit: {e}")
    print(f"student_kit: wrote {out} with {len(remove)} task(s) removed: {', '.join(remove) or 'none'}")


if __name__ == "__main__":
    main()
