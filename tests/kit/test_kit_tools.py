"""Tests of the kit tools themselves (tools/exercises.py, student_kit.py, kit_check.py).

The kit checks are what make the exercise tests trustworthy, so they must be able to fail: these
tests feed them the situations they exist to catch (an exercise test that no longer calls its
exercise, a crash instead of NotImplemented, an undeclared failure, unbalanced fences).
"""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import exercises  # noqa: E402
import kit_check  # noqa: E402

FENCED = """int f(int x) {
  // BEGIN EXERCISE(a.one)
  return x + 1;
  // END EXERCISE
}
int g(int x) {
    // BEGIN EXERCISE(a.two)
    int y = x * 2;
    return y;
    // END EXERCISE
}
"""

NOT_IMPLEMENTED = ("C++ exception with description \"a.one: expected your implementation of this exercise "
                   "(lesson 00-tour), given GB_TODO: not implemented yet\" thrown in the test body.")


def test_strip_fences_replaces_only_the_removed_task_keeping_indentation():
    out = exercises.strip_fences(FENCED, {"a.two"})
    assert "return x + 1;" in out and "BEGIN EXERCISE(a.one)" in out
    assert "int y = x * 2;" not in out
    assert '    GB_TODO("a.two");' in out
    assert out.count("\n") == FENCED.count("\n") - 3  # four lines became one


def test_strip_fences_with_every_task_removed():
    out = exercises.strip_fences(FENCED, {"a.one", "a.two"})
    assert "return" not in out and out.count("GB_TODO(") == 2


@pytest.mark.parametrize("text, message", [
    ("// BEGIN EXERCISE(a)\n", "never closed"),
    ("// END EXERCISE\n", "without a BEGIN"),
    ("// BEGIN EXERCISE(a)\n// BEGIN EXERCISE(b)\n// END EXERCISE\n", "inside the fence"),
])
def test_unbalanced_fences_are_errors(tmp_path, text, message):
    path = tmp_path / "x.cpp"
    path.write_text(text)
    with pytest.raises(exercises.FenceError, match=message):
        exercises.parse_fences(str(path))


def test_dependents_are_transitive():
    tasks = [{"id": "a", "depends_on": []}, {"id": "b", "depends_on": ["a"]}, {"id": "c", "depends_on": ["b"]},
             {"id": "d", "depends_on": []}]
    assert exercises.dependents(tasks, "a") == {"a", "b", "c"}
    assert exercises.dependents(tasks, "d") == {"d"}


def test_expect_accepts_exactly_the_declared_failures():
    results = {"Task_1.Works": (False, NOT_IMPLEMENTED), "Other.Test": (True, "")}
    assert kit_check.expect(results, ["Task_1.*"], "kit") == []


def test_expect_catches_an_exercise_test_that_no_longer_exercises_its_code():
    # With the task removed the test still passes: it does not call the exercise any more.
    results = {"Task_1.Works": (True, "")}
    problems = kit_check.expect(results, ["Task_1.*"], "kit")
    assert len(problems) == 1 and "should fail with NotImplemented" in problems[0]


def test_expect_catches_a_wrong_answer_instead_of_not_implemented():
    results = {"Task_1.Works": (False, "Expected equality of these values: 3 and 4")}
    problems = kit_check.expect(results, ["Task_1.*"], "kit")
    assert len(problems) == 1 and "without NotImplemented" in problems[0]


def test_expect_catches_an_undeclared_failure():
    results = {"Unit.UsesTheExercise": (False, NOT_IMPLEMENTED)}
    problems = kit_check.expect(results, ["Task_1.*"], "kit")
    assert len(problems) == 1 and "no removed task declares it" in problems[0]


def test_expect_lets_a_dependents_test_pass_or_fail_with_not_implemented_only():
    # Removing task 1: task 2 depends on it, so task 2's tests may fail (with NotImplemented) or pass.
    results = {"Task_1.Works": (False, NOT_IMPLEMENTED), "Task_2.ReachesTask1": (False, NOT_IMPLEMENTED),
               "Task_2.DoesNotReachTask1": (True, "")}
    assert kit_check.expect(results, ["Task_1.*"], "kit", ["Task_2.*"]) == []
    results["Task_2.ReachesTask1"] = (False, "Expected equality of these values: 3 and 4")
    problems = kit_check.expect(results, ["Task_1.*"], "kit", ["Task_2.*"])
    assert len(problems) == 1 and "without NotImplemented" in problems[0]
    # The task's own tests must still fail.
    results = {"Task_1.Works": (True, ""), "Task_2.ReachesTask1": (False, NOT_IMPLEMENTED)}
    problems = kit_check.expect(results, ["Task_1.*"], "kit", ["Task_2.*"])
    assert len(problems) == 1 and "should fail with NotImplemented" in problems[0]


def test_a_crashing_program_stops_the_check(tmp_path):
    crash = tmp_path / "crash.sh"
    crash.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crash.chmod(0o755)
    with pytest.raises(SystemExit, match="crashed"):
        kit_check.run_programs([str(crash)])


def test_the_real_task_list_is_consistent_with_the_fences():
    tasks = exercises.load_tasks()
    fenced = {task for fences in exercises.fenced_files().values() for task, _, _ in fences}
    assert {t["id"] for t in tasks} == fenced
    for t in tasks:
        assert t["tests"], f"{t['id']} declares no tests"
        assert any(p.startswith("Task_") for p in t["tests"]), f"{t['id']} has no exercise test suite"


FAKE_GTEST = r"""#include <cstdio>
#include <cstring>
int verdict();  // in libverdict.so
int main(int argc, char** argv) {
  const char* out = argc > 1 && std::strncmp(argv[1], "--gtest_output=json:", 20) == 0 ? argv[1] + 20 : "r.json";
  std::FILE* f = std::fopen(out, "w");
  std::fprintf(f, "{\"testsuites\": [{\"name\": \"Lib\", \"testsuite\": [{\"name\": \"Verdict\", \"status\": \"RUN\", "
                  "\"result\": \"COMPLETED\"%s}]}]}", verdict() ? "" : ", \"failures\": [{\"failure\": \"NotImplemented\"}]");
  std::fclose(f);
  return 0;
}
"""


def test_a_changed_shared_library_is_not_answered_from_the_cache(tmp_path):
    # The kit build links the gb_<module> libraries as shared libraries: removing a task rebuilds one
    # library and leaves the test programs as they are, so the results must not be keyed on the
    # program's bytes alone.
    compiler = shutil.which("c++") or shutil.which("g++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    (tmp_path / "main.cpp").write_text(FAKE_GTEST)
    program = tmp_path / "lib_tests"

    def build_library(value):
        (tmp_path / "verdict.cpp").write_text(f"int verdict() {{ return {value}; }}\n")
        subprocess.run([compiler, "-shared", "-fPIC", "-o", str(tmp_path / "libverdict.so"), str(tmp_path / "verdict.cpp")],
                       check=True)

    build_library(1)
    subprocess.run([compiler, "-o", str(program), str(tmp_path / "main.cpp"), f"-L{tmp_path}", "-lverdict",
                    f"-Wl,-rpath,{tmp_path}"], check=True)
    assert kit_check.run_programs([str(program)]) == {"Lib.Verdict": (True, "")}
    program_bytes = program.read_bytes()
    build_library(0)  # the task is removed from the library; the program is not relinked
    assert program.read_bytes() == program_bytes
    assert kit_check.run_programs([str(program)]) == {"Lib.Verdict": (False, "NotImplemented")}
    build_library(1)  # back to the first library: its results are known
    assert kit_check.run_programs([str(program)]) == {"Lib.Verdict": (True, "")}
