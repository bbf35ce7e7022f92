#!/usr/bin/env python3
"""exercise.py: run the tests of one exercise task (or list the tasks).

    tools/exercise.py --build build/release                 the task list, with lessons
    tools/exercise.py --build build/release TASK            run TASK's tests (and say what they check)

This is what `make exercise TASK=...` calls. A task's tests are the gtest patterns listed for it in
tests/exercises/tasks.json; they run in every unit and exercise program of the build.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("task", nargs="?")
    args = parser.parse_args()
    tasks = exercises.load_tasks()
    if not args.task:
        print("Exercise tasks (make exercise TASK=<id>):")
        for t in tasks:
            print(f"  {t['id']:32} lesson {t['lesson']:24} {t['title']}")
        return 0
    task = next((t for t in tasks if t["id"] == args.task), None)
    if task is None:
        print(f"exercise: expected a task id ({', '.join(t['id'] for t in tasks)}), given '{args.task}'", file=sys.stderr)
        return 2
    with open(os.path.join(args.build, "gb_gtest_programs.txt"), encoding="utf-8") as f:
        programs = [line.strip() for line in f if line.strip()]
    print(f"Task {task['id']} (lesson {task['lesson']}): {task['title']}")
    print(f"Tests: {', '.join(task['tests'])}\n")
    status = 0
    for program in programs:
        listed = subprocess.run([program, "--gtest_list_tests", f"--gtest_filter={':'.join(task['tests'])}"],
                                capture_output=True, text=True).stdout
        if not any(line.startswith("  ") for line in listed.splitlines()):
            continue  # none of this task's tests live in this program
        status |= subprocess.run([program, f"--gtest_filter={':'.join(task['tests'])}"]).returncode
    print("\nexercise: " + ("all tests pass" if status == 0 else "some tests fail (see above)"))
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
