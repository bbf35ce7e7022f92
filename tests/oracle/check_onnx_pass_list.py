#!/usr/bin/python3
"""Checks that every case named in a list PASSES `glassbox onnx-test`.

usage: check_onnx_pass_list.py GLASSBOX NODE_DIR LIST_FILE

Runs `GLASSBOX onnx-test NODE_DIR`, reads its one line per case ("pass  test_relu", "fail  ...",
"skip  ..."), and fails when a listed case did not pass or is missing, printing those lines. Cases not in
the list may pass, fail or skip: the suite-wide test (onnx_node_suite) is the one that forbids failures.
"""
import subprocess
import sys


def main():
    glassbox, node_dir, list_file = sys.argv[1:4]
    wanted = []
    with open(list_file) as f:
        for line in f:
            name = line.split("#", 1)[0].strip()
            if name:
                wanted.append(name)
    run = subprocess.run([glassbox, "onnx-test", node_dir], capture_output=True, text=True)
    lines = run.stdout.splitlines()
    outcome = {}
    for line in lines:
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] in ("pass", "fail", "skip"):
            outcome[parts[1].split(":", 1)[0]] = line
    print(lines[-1] if lines else "(no output) " + run.stderr)
    bad = [name for name in wanted if not outcome.get(name, "").startswith("pass")]
    for name in bad:
        print("NOT PASSING:", outcome.get(name, name + ": no line in the output"))
    print("%d listed cases, %d pass" % (len(wanted), len(wanted) - len(bad)))
    sys.exit(1 if bad or not wanted else 0)


if __name__ == "__main__":
    main()
