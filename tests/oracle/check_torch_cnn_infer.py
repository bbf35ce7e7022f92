#!/usr/bin/python3
"""`glassbox infer --optimize` on the CNN exported by export_torch_cnn.py, checked against torch and itself.

usage: check_torch_cnn_infer.py GLASSBOX CASE_DIR OUT_DIR

Runs `GLASSBOX infer CASE_DIR/model.onnx --input x=CASE_DIR/x.npy -o OUT_DIR` twice, without and with
--optimize, and requires (issue 9): both outputs match torch's y.npy (atol 1e-5 + rtol 1e-4, float32 sums
in another order); the optimised output equals the unoptimised one within 1e-5; the report names the
rules that must fire on this model (Conv+BN folded 3 times, Conv+Relu fused, the residual Add fused) and
gives the op count and peak memory before and after, the op count going down. Prints the whole report.
"""
import re
import subprocess
import sys

import numpy as np


def infer(glassbox, case, out, *extra):
    cmd = [glassbox, "infer", case + "/model.onnx", "--input", "x=" + case + "/x.npy", "-o", out, *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    print("$", " ".join(cmd))
    print(run.stdout, run.stderr)
    if run.returncode != 0:
        sys.exit("glassbox infer failed with exit code %d" % run.returncode)
    return run.stdout


def main():
    glassbox, case, out = sys.argv[1:4]
    expected = np.load(case + "/y.npy")
    infer(glassbox, case, out + "/plain")
    plain = np.load(out + "/plain/y.npy")
    report = infer(glassbox, case, out + "/optimized", "--optimize")
    optimized = np.load(out + "/optimized/y.npy")
    problems = []
    for name, got in (("plain", plain), ("optimized", optimized)):
        if got.shape != expected.shape:
            problems.append("%s output shape %s, torch %s" % (name, got.shape, expected.shape))
        elif not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            problems.append("%s output differs from torch by %g" % (name, np.abs(got - expected).max()))
    if plain.shape == optimized.shape and np.abs(plain - optimized).max() > 1e-5:
        problems.append("optimisation changed the output by %g > 1e-5" % np.abs(plain - optimized).max())
    print("max |glassbox - torch| = %g, max |optimised - original| = %g" %
          (np.abs(plain - expected).max(), np.abs(plain - optimized).max()))
    for rule, count in (("conv_bn_fold", 3), ("conv_relu", 1), ("conv_add", 1)):
        fired = len(re.findall(r"\] %s\w*:" % rule, report))
        if fired < count:
            problems.append("rule %s fired %d times, expected at least %d" % (rule, fired, count))
    ops = re.search(r"^ops\s+(\d+) -> (\d+)$", report, re.M)
    if not ops or int(ops.group(2)) >= int(ops.group(1)):
        problems.append("no 'ops N -> M' line with M < N")
    if not re.search(r"^memory\s+peak live .* -> .*; arena .* -> ", report, re.M):
        problems.append("no 'memory peak live ... arena ...' line")
    if problems:
        sys.exit("FAILED:\n  " + "\n  ".join(problems))
    print("ok")


if __name__ == "__main__":
    main()
