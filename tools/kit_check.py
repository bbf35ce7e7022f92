#!/usr/bin/env python3
"""kit_check.py: the three mechanical checks of the student kit (DESIGN.md section 5).

    1. reference: in the full tree every test passes, and every test pattern that a task
       declares matches at least one test.
    2. kit: in the kit (every task removed) every declared test fails with gb::NotImplemented
       (not a crash, not a wrong answer) and every other test passes.
    3. one task at a time: removing only task T fails every test declared by T, each with
       NotImplemented; tests declared by tasks that depend on T may fail too (with NotImplemented
       only); every other test passes.

The tests are the GoogleTest programs labelled unit and exercise, listed by the build in
BUILD/gb_gtest_programs.txt. The kit is generated into BUILD/kit/src and built in BUILD/kit/build;
re-generation rewrites only changed files, so steps 2 and 3 rebuild incrementally.

    tools/kit_check.py --build BUILD             run all three checks (ctest label `kit`)
    tools/kit_check.py --build BUILD --discover  print, per task, the tests that fail without it
    tools/kit_check.py --build BUILD --discover --task ID   the same for one task
"""
import argparse
import fnmatch
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402
import student_kit  # noqa: E402


def log(msg):
    print(f"kit_check: {msg}", flush=True)


# Results of each program binary by the hash of its bytes: between two steps of check 3 only the
# programs linking a changed module are relinked; the others are the same file and give the same
# results (the tests are deterministic), so they are not run again.
_results_by_binary = {}


def binary_hash(program):
    digest = hashlib.sha1()
    with open(program, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_programs(programs):
    """Runs each gtest program; returns {"Suite.Name": (passed, failure text)}. A crash is a failure of the check."""
    results = {}
    for program in programs:
        key = (program, binary_hash(program))
        if key in _results_by_binary:
            results.update(_results_by_binary[key])
            continue
        mine = {}
        with tempfile.TemporaryDirectory() as tmp:
            report = os.path.join(tmp, "report.json")
            proc = subprocess.run([program, f"--gtest_output=json:{report}"], capture_output=True, text=True)
            if not os.path.exists(report):
                raise SystemExit(f"kit_check: {program} crashed (exit {proc.returncode}) before writing its report:\n"
                                 f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
            with open(report, encoding="utf-8") as f:
                data = json.load(f)
        for suite in data.get("testsuites", []):
            for test in suite.get("testsuite", []):
                if test.get("status") != "RUN" or test.get("result") == "SKIPPED":
                    continue
                name = f"{suite['name']}.{test['name']}"
                failures = "\n".join(f.get("failure", "") for f in test.get("failures", []))
                mine[name] = (not failures, failures)
        _results_by_binary[key] = mine
        results.update(mine)
    return results


def matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def declared(tasks, ids):
    return [p for t in tasks if t["id"] in ids for p in t["tests"]]


def programs_of(build):
    listing = os.path.join(build, "gb_gtest_programs.txt")
    if not os.path.exists(listing):
        raise SystemExit(f"kit_check: {listing} is missing: build the tree first")
    with open(listing, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def build_kit(root, kit_src, kit_build, remove, jobs):
    start = time.monotonic()
    student_kit.generate(root, kit_src, remove, [])
    if not os.path.exists(os.path.join(kit_build, "CMakeCache.txt")):
        # Debug without debug information: the checks read test results, not stack traces, and -g
        # is a good part of the compile and link time of ~20 builds in a row.
        subprocess.run(["cmake", "-S", kit_src, "-B", kit_build, "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0",
                        "-DGB_BUILD_VIEWER=OFF", "-DGB_BUILD_PYTHON=OFF", "-DGB_BUILD_BENCH=OFF", "-DGB_WERROR=OFF"],
                       check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.run(["cmake", "--build", kit_build, "--target", "gb_gtest_programs", "-j", str(jobs)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"kit_check: the kit with {remove or 'nothing'} removed does not build:\n"
                         f"{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    log(f"    built in {time.monotonic() - start:.0f} s")
    return programs_of(kit_build)


def expect(results, failing_patterns, what, may_fail_patterns=()):
    """Tests matching failing_patterns must fail with NotImplemented; tests matching may_fail_patterns may
    fail, but only with NotImplemented; all others must pass."""
    problems = []
    for name, (passed, text) in sorted(results.items()):
        should_fail = matches(name, failing_patterns)
        may_fail = should_fail or matches(name, may_fail_patterns)
        not_implemented = "NotImplemented" in text or "GB_TODO" in text
        if should_fail and passed:
            problems.append(f"{name} passed, but it should fail with NotImplemented ({what})")
        elif may_fail and not passed and not not_implemented:
            problems.append(f"{name} failed without NotImplemented ({what}):\n    {text.strip()[:400]}")
        elif not may_fail and not passed:
            problems.append(f"{name} failed, but no removed task declares it ({what}):\n    {text.strip()[:400]}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="the build folder of the full tree")
    parser.add_argument("--root", default=exercises.ROOT)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--discover", action="store_true", help="print what fails without each task, check nothing")
    parser.add_argument("--task", action="append", default=[],
                        help="with --discover: only this task (repeatable), e.g. when you add or change one")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    tasks = exercises.load_tasks(args.root)
    kit_src, kit_build = os.path.join(build, "kit", "src"), os.path.join(build, "kit", "build")
    problems = []

    log("1/3 reference: every test passes in the full tree")
    reference = run_programs(programs_of(build))
    problems += expect(reference, [], "reference")
    for t in tasks:
        for pattern in t["tests"]:
            if not any(fnmatch.fnmatchcase(n, pattern) for n in reference):
                problems.append(f"task {t['id']} declares '{pattern}', which matches no test")
    log(f"    {len(reference)} tests run")

    if args.discover:
        unknown = set(args.task) - {t["id"] for t in tasks}
        if unknown:
            sys.exit(f"kit_check: unknown task(s) {sorted(unknown)}")
        for t in tasks:
            if args.task and t["id"] not in args.task:
                continue
            results = run_programs(build_kit(args.root, kit_src, kit_build, [t["id"]], args.jobs))
            failing = sorted(n for n, (ok, _) in results.items() if not ok)
            print(json.dumps({"id": t["id"], "failing": failing}, indent=1))
        return

    all_ids = [t["id"] for t in tasks]
    log(f"2/3 kit: all {len(all_ids)} tasks removed")
    results = run_programs(build_kit(args.root, kit_src, kit_build, all_ids, args.jobs))
    problems += expect(results, declared(tasks, set(all_ids)), "kit with every task removed")
    failed = sum(1 for ok, _ in results.values() if not ok)
    log(f"    {len(results)} tests run, {failed} fail with NotImplemented as declared")

    # A task's declared tests must fail without it. The tests of the tasks that depend on it may fail too
    # (their code calls its code), but need not: a dependent's test may never reach the part of the
    # removed code it calls (a VJP test that broadcasts nothing).
    for t in tasks:
        removed = exercises.dependents(tasks, t["id"])
        log(f"3/3 only {t['id']} removed: expecting its tests to fail, and those of {sorted(removed - {t['id']})} may")
        results = run_programs(build_kit(args.root, kit_src, kit_build, [t["id"]], args.jobs))
        problems += expect(results, declared(tasks, {t["id"]}), f"kit without {t['id']}",
                           declared(tasks, removed - {t["id"]}))
        failed = sum(1 for ok, _ in results.values() if not ok)
        log(f"    {len(results)} tests run, {failed} fail")

    if problems:
        print("\n".join(["kit_check: FAILED"] + problems))
        sys.exit(1)
    log("all three checks pass")


if __name__ == "__main__":
    main()
