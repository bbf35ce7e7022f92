#!/usr/bin/env python3
"""check_quant_report.py: `glassbox quant-report` end to end (tests/training/CMakeLists.txt).

    check_quant_report.py GLASSBOX accuracy cnn     the issue's acceptance: static int8 within one point of fp32
    check_quant_report.py GLASSBOX accuracy mlp     sanity bounds for the perceptron
    check_quant_report.py GLASSBOX same-seed MODEL  two runs with one seed print the same table (but the times)
    check_quant_report.py GLASSBOX bad-arguments    bad options exit 1 with a message naming the option

Each report trains the model once (a second or two) and quantizes it every way; no bound below is a
measured accuracy, they are the issue's acceptance (one point) and loose sanity bounds.
"""
import re
import subprocess
import sys
import time

STATIC_WITHIN_ONE_POINT = ["minmax", "moving_average", "percentile", "mse", "kl"]


def report(glassbox, *args, expect_ok=True):
    start = time.perf_counter()
    proc = subprocess.run([glassbox, "quant-report", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if expect_ok and proc.returncode != 0:
        sys.exit(f"glassbox quant-report {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc, seconds


def rows(stdout):
    """{method: (accuracy, vs_fp32, agree, logit_rms)} from the table, checking its format as it goes."""
    lines = stdout.splitlines()
    header = next((i for i, l in enumerate(lines) if l.startswith("method")), None)
    if header is None:
        sys.exit(f"no table header in:\n{stdout}")
    table = {}
    for line in lines[header + 1:]:
        if line.startswith("layer sensitivity"):
            break
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) != 7:
            sys.exit(f"a row of 7 columns expected, got {cells}")
        method, accuracy, vs, agree, rms = cells[:5]
        if not re.fullmatch(r"[01]\.[0-9]{4}", accuracy) or not re.fullmatch(r"[+-][0-9]+\.[0-9]{2}", vs):
            sys.exit(f"accuracy with four digits and points with a sign expected: {line!r}")
        # Aligned columns: every accuracy ends where the header's "accuracy" ends.
        if line.find(accuracy) + len(accuracy) != lines[header].find("accuracy") + len("accuracy"):
            sys.exit(f"the accuracy column is not aligned: {line!r}")
        table[method] = (float(accuracy), float(vs), float(agree), float(rms))
    return table


def sensitivity(stdout):
    lines = stdout.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("layer sensitivity")), None)
    if start is None:
        sys.exit("no layer sensitivity section")
    return [l.split()[0] for l in lines[start + 2:] if l.strip()]


def check(ok, message):
    if not ok:
        sys.exit(message)


def without_times(stdout):
    return [re.sub(r"\s+[0-9.]+$", "", l) for l in stdout.splitlines()]


def main():
    glassbox, what, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if what == "accuracy":
        model = rest[0]
        proc, seconds = report(glassbox, "--model", model)
        print(proc.stdout, end="")
        print(f"{model}: the report took {seconds:.1f} s")
        table = rows(proc.stdout)
        fp32 = table["fp32"][0]
        expected = ["fp32", "PTQ dynamic"] + [f"PTQ static {c}" for c in STATIC_WITHIN_ONE_POINT] + \
                   ["QAT fake quant", "QAT int8"]
        for method in expected:
            check(method in table, f"no row {method!r} in {list(table)}")
        for method, (accuracy, vs, agree, rms) in table.items():
            check(abs(vs - round((accuracy - fp32) * 100, 2)) <= 0.011, f"{method}: vs fp32 is not the difference in points")
            check(0 <= agree <= 1 and rms >= 0, f"{method}: agreement {agree}, logit rms {rms}")
        if model == "cnn":
            # lesson 01's bound for the CNN at seed 0, then the issue's acceptance for static int8.
            check(fp32 >= 0.97, f"fp32 CNN at {fp32} < 0.97")
            for c in STATIC_WITHIN_ONE_POINT:
                accuracy = table[f"PTQ static {c}"][0]
                check(accuracy >= fp32 - 0.01, f"static int8 ({c}) at {accuracy}: more than one point below fp32 {fp32}")
            for method in ["PTQ dynamic", "QAT int8"]:
                check(table[method][0] >= fp32 - 0.01, f"{method} more than one point below fp32")
            check(sensitivity(proc.stdout) == ["conv1", "conv2", "fc"], "sensitivity rows conv1, conv2, fc")
        else:
            check(fp32 >= 0.95, f"fp32 MLP at {fp32} < 0.95")
            for method, (accuracy, *_rest) in table.items():
                check(accuracy >= fp32 - 0.03, f"{method} at {accuracy}: more than 3 points below fp32 {fp32}")
            check(sensitivity(proc.stdout) == ["fc1", "fc2", "fc3"], "sensitivity rows fc1, fc2, fc3")
        # The integer export computes what the fake-quant model simulated.
        check(table["QAT int8"][2] >= 0.97 * table["QAT fake quant"][2] and
              abs(table["QAT int8"][0] - table["QAT fake quant"][0]) <= 0.011,
              "QAT int8 and QAT fake quant disagree")
    elif what == "same-seed":
        model = rest[0]
        first, _ = report(glassbox, "--model", model, "--seed", "3", "--calibration-batches", "4")
        second, _ = report(glassbox, "--model", model, "--seed", "3", "--calibration-batches", "4")
        check(without_times(first.stdout) == without_times(second.stdout),
              f"two runs with seed 3 differ:\n{first.stdout}\n{second.stdout}")
    elif what == "bad-arguments":
        for args, word in [(["--model", "resnet"], "--model"), (["--calibration-batches", "0"], "--calibration-batches"),
                           (["--seed", "x"], "--seed"), (["--no-such-option", "1"], "--no-such-option"),
                           (["--sensitivity-calibrator", "best"], "minmax"), (["--model"], "--model")]:
            proc, _ = report(glassbox, *args, expect_ok=False)
            check(proc.returncode == 1 and word in proc.stderr,
                  f"quant-report {' '.join(args)}: exit 1 naming {word!r} expected, got {proc.returncode}:\n{proc.stderr}")
    else:
        sys.exit(f"unknown check {what!r}")


if __name__ == "__main__":
    main()
