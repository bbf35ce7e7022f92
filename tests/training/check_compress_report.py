#!/usr/bin/env python3
"""check_compress_report.py: `glassbox compress-report` end to end (tests/training/CMakeLists.txt).

    check_compress_report.py GLASSBOX tables         every row is there, costs and accuracies are sane,
                                                      the issue's acceptance (50% unstructured within 2 points)
    check_compress_report.py GLASSBOX same-seed      two runs with one seed print the same text, bit for bit
    check_compress_report.py GLASSBOX bad-arguments  bad options exit 1 with a message naming the option

No bound below is a measured accuracy: they are the issue's acceptance (2 points after fine-tuning at
50%), what structured pruning must do (fewer parameters and multiply-adds), what the format promises
(a difference column that is the difference, a spread that is the sample standard deviation) and
loose sanity bounds.
"""
import re
import statistics
import subprocess
import sys
import time


def report(glassbox, *args, expect_ok=True):
    start = time.perf_counter()
    proc = subprocess.run([glassbox, "compress-report", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if expect_ok and proc.returncode != 0:
        sys.exit(f"glassbox compress-report {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc, seconds


def check(ok, message):
    if not ok:
        sys.exit(message)


def section(lines, header_start):
    """The rows under the header line that starts with header_start, up to the first blank or prose line."""
    start = next((i for i, l in enumerate(lines) if l.startswith(header_start)), None)
    check(start is not None, f"no table starting with {header_start!r}")
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith(("The ", "Neither ")):
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return lines[start], rows


def unpruned(stdout):
    m = re.search(r"unpruned: cnn ([01]\.\d{4}) \((\d+) parameters, (\d+) MACs per image\), "
                  r"mlp ([01]\.\d{4}) \((\d+) parameters, (\d+) MACs per image\)", stdout)
    check(m is not None, f"no 'unpruned:' line in:\n{stdout}")
    return {"cnn": (float(m[1]), int(m[2]), int(m[3])), "mlp": (float(m[4]), int(m[5]), int(m[6]))}


def pruning_rows(lines):
    header, rows = section(lines, "model  method")
    table = {}
    for cells in rows:
        check(len(cells) == 11, f"a pruning row of 11 columns expected, got {cells}")
        model, method, target, sparsity, params, nonzero, macs, pruned, vs_pruned, tuned, vs_tuned = cells
        for v in (pruned, tuned):
            check(re.fullmatch(r"[01]\.\d{4}", v), f"accuracy with four digits expected: {cells}")
        for v in (vs_pruned, vs_tuned):
            check(re.fullmatch(r"[+-]\d+\.\d{2}", v), f"points with a sign expected: {cells}")
        table[(model, method, float(target))] = dict(
            sparsity=float(sparsity), parameters=int(params), nonzero=int(nonzero), macs=int(macs),
            pruned=float(pruned), vs_pruned=float(vs_pruned), accuracy=float(tuned), vs=float(vs_tuned))
    return table


def distillation_rows(lines):
    _, rows = section(lines, "seed  ")
    seeds, mean, spread = [], None, None
    for cells in rows:
        if cells[0] == "mean":
            mean = cells
        elif cells[0] == "spread":
            spread = cells
        else:
            check(len(cells) == 5, f"a distillation row of 5 columns expected, got {cells}")
            seeds.append((int(cells[0]), float(cells[1]), float(cells[2]), float(cells[3]), float(cells[4])))
    check(mean is not None and spread is not None, "no mean or spread row")
    return seeds, [float(x) for x in mean[1:3]], [float(x) for x in spread[1:3]]


def check_tables(glassbox):
    proc, seconds = report(glassbox)
    print(proc.stdout, end="")
    print(f"the report took {seconds:.1f} s")
    lines = proc.stdout.splitlines()
    base = unpruned(proc.stdout)
    check(base["cnn"][0] >= 0.95 and base["mlp"][0] >= 0.93, f"unpruned models below sanity bounds: {base}")
    table = pruning_rows(lines)
    expected = [(m, f"magnitude {s}", t) for m in ("cnn", "mlp") for s in ("layer", "global") for t in (0.5, 0.7, 0.9)]
    expected += [("cnn", "filters L1", 0.25), ("cnn", "filters L1", 0.5), ("mlp", "gradual", 0.9)]
    expected += [("cnn", "dense fine-tuned", 0.0), ("mlp", "dense fine-tuned", 0.0)]
    for key in expected:
        check(key in table, f"no pruning row {key} in {sorted(table)}")
    check(len(table) == len(expected), f"{len(expected)} pruning rows expected, got {len(table)}")
    for (model, method, target), row in table.items():
        accuracy, parameters, macs = base[model]
        check(abs(row["vs"] - round((row["accuracy"] - accuracy) * 100, 2)) <= 0.011,
              f"{model} {method} {target}: 'vs unpruned' is not the difference in points")
        if method == "dense fine-tuned":
            # The control: nothing pruned, the same fine-tuning; its 'pruned' accuracy is the unpruned model's.
            check(row["sparsity"] == 0 and row["parameters"] == parameters and row["macs"] == macs,
                  f"{model} dense fine-tuned: {row}")
            check(abs(row["pruned"] - accuracy) <= 1e-4, f"{model} dense fine-tuned: before fine-tuning {row['pruned']}, not {accuracy}")
        elif method.startswith("magnitude") or method == "gradual":
            # Unstructured: the same dense shapes, a fraction `target` of the prunable weights zero.
            check(abs(row["sparsity"] - target) <= 0.001, f"{model} {method} {target}: sparsity {row['sparsity']}")
            check(row["parameters"] == parameters and row["macs"] == macs, f"{model} {method}: the dense cost changed")
            check(row["nonzero"] < parameters * (1 - target) + parameters * 0.05,
                  f"{model} {method} {target}: {row['nonzero']} nonzero of {parameters}")
        else:
            # Structured: a genuinely smaller network.
            check(row["parameters"] < parameters and row["macs"] < macs,
                  f"filters {target}: {row['parameters']} parameters, {row['macs']} MACs, not fewer than "
                  f"{parameters}, {macs}")
    check(table[("cnn", "filters L1", 0.5)]["parameters"] < table[("cnn", "filters L1", 0.25)]["parameters"],
          "more filters pruned, fewer parameters")
    # The acceptance: at 50% unstructured, fine-tuning brings each model within 2 points.
    for model in ("cnn", "mlp"):
        for scope in ("layer", "global"):
            row = table[(model, f"magnitude {scope}", 0.5)]
            check(row["accuracy"] >= base[model][0] - 0.02,
                  f"{model} magnitude {scope} 50%: fine-tuned {row['accuracy']}, more than 2 points below {base[model][0]}")
    # Distillation: one row per seed (3 by default), then the mean and the sample standard deviation.
    seeds, mean, spread = distillation_rows(lines)
    check([s[0] for s in seeds] == [0, 1, 2], f"seeds 0, 1, 2 expected, got {[s[0] for s in seeds]}")
    for seed, teacher, baseline, distilled, difference in seeds:
        check(teacher >= 0.95 and baseline >= 0.85 and distilled >= 0.85, f"seed {seed}: implausible accuracies")
        check(abs(difference - round((distilled - baseline) * 100, 2)) <= 0.011, f"seed {seed}: wrong difference")
    for k, column in enumerate(("baseline", "distilled")):
        values = [s[2 + k] for s in seeds]
        check(abs(mean[k] - statistics.mean(values)) <= 0.0001, f"{column} mean {mean[k]}")
        check(abs(spread[k] - statistics.stdev(values)) <= 0.0001, f"{column} spread {spread[k]}")
    last = lines[-1]
    winner = "distilled" if mean[1] > mean[0] else "baseline" if mean[1] < mean[0] else "Neither"
    check(winner in last and ("spread" in last or winner == "Neither"),
          f"the last sentence should name the winner ({winner}) in units of the spread: {last!r}")


def main():
    glassbox, what = sys.argv[1], sys.argv[2]
    if what == "tables":
        check_tables(glassbox)
    elif what == "same-seed":
        args = ["--seed", "4", "--seeds", "2", "--fine-tune-epochs", "1", "--distill-epochs", "3"]
        first, _ = report(glassbox, *args)
        second, _ = report(glassbox, *args)
        check(first.stdout == second.stdout, f"two runs with seed 4 differ:\n{first.stdout}\n{second.stdout}")
        check("seed 4," in first.stdout, "the report names its seed")
    elif what == "bad-arguments":
        for args, word in [(["--seeds", "0"], "--seeds"), (["--seed", "x"], "--seed"),
                           (["--fine-tune-epochs", "0"], "--fine-tune-epochs"),
                           (["--distill-epochs", "-2"], "--distill-epochs"), (["--temperature", "0"], "--temperature"),
                           (["--temperature", "nan"], "--temperature"), (["--lambda", "-1"], "--lambda"),
                           (["--no-such-option", "1"], "--no-such-option"), (["--lambda"], "--lambda")]:
            proc, _ = report(glassbox, *args, expect_ok=False)
            check(proc.returncode == 1 and word in proc.stderr,
                  f"compress-report {' '.join(args)}: exit 1 naming {word!r} expected, got {proc.returncode}:\n{proc.stderr}")
    else:
        sys.exit(f"unknown check {what!r}")


if __name__ == "__main__":
    main()
