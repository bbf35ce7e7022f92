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
re-generation rewrites only changed files, so steps 2 and 3 rebuild incrementally. The kit build is
Debug -O0 -g0 with shared gb_<module> libraries (-DGB_SHARED_MODULES=ON) whose programs are not
relinked when a library changes: removing a task recompiles its file(s) and relinks one library.
A program is run again only when its bytes or those of a shared library it loads (ldd) changed,
and the programs of one build run --jobs at a time.

    tools/kit_check.py --build BUILD             run all three checks (ctest label `kit`)
    tools/kit_check.py --build BUILD --discover  print, per task, the tests that fail without it
    tools/kit_check.py --build BUILD --discover --task ID   the same for one task
"""
import argparse
import concurrent.futures
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


# Results of each program by the hash of its bytes and of the bytes of every shared library the
# dynamic loader resolves for it: between two steps of check 3 only the programs that are relinked,
# or that load a relinked library (the kit build has shared gb_<module> libraries), can change; the
# others are the same code and give the same results (the tests are deterministic), so they are not
# run again. Keying on the program alone would reuse stale results after a library changed.
_results_by_binary = {}
_seconds_by_program = {}  # how long each program ran last: the longest start first


def binary_hash(path):
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def loaded_libraries(program):
    """The shared libraries the dynamic loader resolves for `program`, recursively (ldd), as sorted
    (name, path) pairs; path is None for one it cannot find. [] for a static program or a script."""
    proc = subprocess.run(["ldd", program], capture_output=True, text=True)
    if proc.returncode != 0:  # "not a dynamic executable"
        return []
    libraries = set()
    for line in proc.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, target = (part.strip() for part in line.split("=>", 1))
            path = target.split(" (")[0].strip()
            libraries.add((name, path if path.startswith("/") else None))
        elif line.startswith("/"):  # the dynamic loader itself
            path = line.split(" (")[0].strip()
            libraries.add((path, path))
    return sorted(libraries, key=lambda lib: (lib[0], lib[1] or ""))


def program_key(program, library_hashes):
    """What a program's results depend on: its bytes and those of the libraries it loads."""
    libraries = []
    for name, path in loaded_libraries(program):
        if path is not None and path not in library_hashes:
            library_hashes[path] = binary_hash(path)
        libraries.append((name, path, library_hashes.get(path)))
    return (program, binary_hash(program), tuple(libraries))


def run_program(program):
    """Runs one gtest program: (its gtest JSON report, or None if it crashed before writing it; the process)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        start = time.monotonic()
        proc = subprocess.run([program, f"--gtest_output=json:{report}"], capture_output=True, text=True)
        _seconds_by_program[program] = time.monotonic() - start
        if not os.path.exists(report):
            return None, proc
        with open(report, encoding="utf-8") as f:
            return json.load(f), proc


def run_programs(programs, jobs=1):
    """Runs each gtest program (`jobs` at a time) whose results are not known yet; returns
    {"Suite.Name": (passed, failure text)}. A crash is a failure of the check."""
    results, library_hashes = {}, {}
    start = time.monotonic()
    keys = [program_key(p, library_hashes) for p in programs]
    to_run = list(dict.fromkeys(p for p, k in zip(programs, keys) if k not in _results_by_binary))
    to_run.sort(key=lambda p: -_seconds_by_program.get(p, float("inf")))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        reports = dict(zip(to_run, pool.map(run_program, to_run)))
    for program, key in zip(programs, keys):
        if key not in _results_by_binary:
            data, proc = reports[program]
            if data is None:
                raise SystemExit(f"kit_check: {program} crashed (exit {proc.returncode}) before writing its report:\n"
                                 f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
            mine = {}
            for suite in data.get("testsuites", []):
                for test in suite.get("testsuite", []):
                    if test.get("status") != "RUN" or test.get("result") == "SKIPPED":
                        continue
                    name = f"{suite['name']}.{test['name']}"
                    failures = "\n".join(f.get("failure", "") for f in test.get("failures", []))
                    mine[name] = (not failures, failures)
            _results_by_binary[key] = mine
        results.update(_results_by_binary[key])
    log(f"    ran {len(to_run)} of {len(programs)} programs in {time.monotonic() - start:.0f} s"
        + (f": {', '.join(os.path.basename(p) for p in to_run)}" if 0 < len(to_run) < len(programs) else ""))
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


# The kit build's settings. Debug without debug information: the checks read test results, not stack
# traces, and -g is a good part of the compile and link time. Shared gb_<module> libraries, and test
# programs that do not depend on the library files (CMAKE_LINK_DEPENDS_NO_SHARED): removing a task then
# recompiles its file(s) and relinks one library, not every program; the programs load the new library
# when they run, and run_programs keys its results on the bytes of the libraries they load. The tests
# are listed when ctest runs (PRE_TEST), not by running every relinked program after the build.
KIT_CONFIGURE = ["-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0", "-DGB_SHARED_MODULES=ON",
                 "-DCMAKE_LINK_DEPENDS_NO_SHARED=ON", "-DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST",
                 "-DGB_BUILD_VIEWER=OFF", "-DGB_BUILD_PYTHON=OFF", "-DGB_BUILD_BENCH=OFF", "-DGB_WERROR=OFF"]
_configured = set()


def build_kit(root, kit_src, kit_build, remove, jobs):
    start = time.monotonic()
    student_kit.generate(root, kit_src, remove, [])
    generated = time.monotonic()
    if kit_build not in _configured:
        # Once per run, also over an existing kit build (whose settings may be older than these).
        subprocess.run(["cmake", "-S", kit_src, "-B", kit_build] + KIT_CONFIGURE, check=True, stdout=subprocess.DEVNULL)
        _configured.add(kit_build)
    proc = subprocess.run(["cmake", "--build", kit_build, "--target", "gb_gtest_programs", "-j", str(jobs)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"kit_check: the kit with {remove or 'nothing'} removed does not build:\n"
                         f"{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    compiled = sum(1 for line in proc.stdout.splitlines() if "Building CXX object" in line)
    linked = [line.split()[-1] for line in proc.stdout.splitlines() if "Linking CXX" in line]
    log(f"    generated in {generated - start:.1f} s, built in {time.monotonic() - generated:.1f} s: "
        f"{compiled} objects compiled, {len(linked)} linked ({', '.join(linked)})")
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
    reference = run_programs(programs_of(build), args.jobs)
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
            results = run_programs(build_kit(args.root, kit_src, kit_build, [t["id"]], args.jobs), args.jobs)
            failing = sorted(n for n, (ok, _) in results.items() if not ok)
            print(json.dumps({"id": t["id"], "failing": failing}, indent=1))
        return

    all_ids = [t["id"] for t in tasks]
    log(f"2/3 kit: all {len(all_ids)} tasks removed")
    results = run_programs(build_kit(args.root, kit_src, kit_build, all_ids, args.jobs), args.jobs)
    problems += expect(results, declared(tasks, set(all_ids)), "kit with every task removed")
    failed = sum(1 for ok, _ in results.values() if not ok)
    log(f"    {len(results)} tests run, {failed} fail with NotImplemented as declared")

    # A task's declared tests must fail without it. The tests of the tasks that depend on it may fail too
    # (their code calls its code), but need not: a dependent's test may never reach the part of the
    # removed code it calls (a VJP test that broadcasts nothing).
    for t in tasks:
        removed = exercises.dependents(tasks, t["id"])
        log(f"3/3 only {t['id']} removed: expecting its tests to fail, and those of {sorted(removed - {t['id']})} may")
        results = run_programs(build_kit(args.root, kit_src, kit_build, [t["id"]], args.jobs), args.jobs)
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
