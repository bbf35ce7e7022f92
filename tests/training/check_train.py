#!/usr/bin/env python3
"""check_train.py: `glassbox train digits` end to end (tests/training/CMakeLists.txt).

    check_train.py GLASSBOX accuracy MODEL MIN      the default run ends with test_accuracy >= MIN
    check_train.py GLASSBOX same-seed MODEL         two runs with one seed print the same lines
    check_train.py GLASSBOX resume MODEL DIR        --stop-after 3 then --resume prints what one run prints
    check_train.py GLASSBOX record MODEL DIR        --record writes a Recording with one step per epoch
    check_train.py GLASSBOX view MODEL DIR          (under xvfb-run) the curves drawn by the viewer
    check_train.py GLASSBOX bad-arguments           bad options exit 1 with a message naming the option
"""
import json
import os
import re
import subprocess
import sys
import time


def train(glassbox, *args, expect_ok=True):
    start = time.perf_counter()
    proc = subprocess.run([glassbox, "train", "digits", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if expect_ok and proc.returncode != 0:
        sys.exit(f"glassbox train digits {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc, seconds


def epoch_lines(stdout):
    """The per-epoch lines without the wall time, which differs between runs."""
    return [re.sub(r"\s+[0-9.]+s$", "", line) for line in stdout.splitlines() if line.startswith("epoch")]


def test_accuracy(stdout):
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"test_accuracy ([0-9]\.[0-9]{4})", last)
    if not match:
        sys.exit(f"the last line is not 'test_accuracy <fraction>': {last!r}")
    return float(match.group(1))


def main():
    glassbox, what, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if what == "accuracy":
        model, minimum = rest[0], float(rest[1])
        proc, seconds = train(glassbox, "--model", model)
        accuracy = test_accuracy(proc.stdout)
        print(proc.stdout, end="")
        print(f"{model}: test accuracy {accuracy:.4f} in {seconds:.1f} s (needs >= {minimum})")
        if accuracy < minimum:
            sys.exit(f"{model} reached only {accuracy:.4f} < {minimum}")
    elif what == "same-seed":
        first, _ = train(glassbox, "--model", rest[0], "--seed", "7", "--epochs", "4")
        second, _ = train(glassbox, "--model", rest[0], "--seed", "7", "--epochs", "4")
        if epoch_lines(first.stdout) != epoch_lines(second.stdout):
            sys.exit(f"two runs with seed 7 differ:\n{first.stdout}\n{second.stdout}")
        other, _ = train(glassbox, "--model", rest[0], "--seed", "8", "--epochs", "4")
        if epoch_lines(other.stdout) == epoch_lines(first.stdout):
            sys.exit("seeds 7 and 8 gave the same run: the seed is not used")
    elif what == "resume":
        model, folder = rest[0], rest[1]
        os.makedirs(folder, exist_ok=True)
        checkpoint = os.path.join(folder, "run.gbckpt")
        common = ["--model", model, "--epochs", "6", "--seed", "3"]
        straight, _ = train(glassbox, *common)
        stopped, _ = train(glassbox, *common, "--stop-after", "3", "--checkpoint", checkpoint)
        if os.path.exists(checkpoint + ".tmp") or not os.path.exists(checkpoint):
            sys.exit("the checkpoint was not written atomically (a .tmp is left, or no file)")
        resumed, _ = train(glassbox, *common, "--resume", checkpoint)
        whole = epoch_lines(straight.stdout)
        if epoch_lines(stopped.stdout) + epoch_lines(resumed.stdout) != whole or len(whole) != 6:
            sys.exit(f"stopped + resumed differs from the straight run:\n{straight.stdout}\n---\n{stopped.stdout}{resumed.stdout}")
        if test_accuracy(straight.stdout) != test_accuracy(resumed.stdout):
            sys.exit("the resumed run ends with another test accuracy")
        other, _ = train(glassbox, "--model", model, "--epochs", "6", "--seed", "4", "--resume", checkpoint,
                         expect_ok=False)
        if other.returncode != 1 or "seed 4" not in other.stderr:
            sys.exit(f"resuming with another seed must fail naming it:\n{other.stderr}")
    elif what == "record":
        model, folder = rest[0], rest[1]
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "curves.json")
        train(glassbox, "--model", model, "--epochs", "3", "--record", path)
        with open(path, encoding="utf-8") as f:
            recording = json.load(f)
        scenes = {s["id"]: s for s in recording["scenes"]}
        if set(scenes) != {"loss", "accuracy"} or len(recording["steps"]) != 3:
            sys.exit(f"unexpected recording: scenes {sorted(scenes)}, {len(recording['steps'])} steps")
        if not all(step["caption"].endswith(".") for step in recording["steps"]):
            sys.exit("a caption is not a sentence")
    elif what == "view":
        # The learning curves in the viewer: every epoch's point drawn in both plots at the last step.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "viewer"))
        import viewer_checks  # noqa: E402  (tests/viewer: shot and its frame statistics)
        model, folder = rest[0], rest[1]
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "curves.json")
        train(glassbox, "--model", model, "--epochs", "4", "--record", path)
        stats = viewer_checks.shot(glassbox, os.path.join(folder, "curves.png"), "--recording", path, "--step", "4",
                                   stats=os.path.join(folder, "stats.json"))
        for scene in ("loss", "accuracy"):
            drawn = stats["scenes"].get(scene, {})
            # two series (train, test), four epochs each
            if drawn.get("series_drawn") != 2 or drawn.get("points_drawn") != 8:
                sys.exit(f"the viewer drew {drawn} for the '{scene}' curves, expected 2 series of 4 points")
    elif what == "bad-arguments":
        cases = [
            (["--model", "rnn"], "mlp or cnn"),
            (["--model", "cnn", "--epochs", "0"], "--epochs"),
            (["--model", "cnn", "--lr", "fast"], "--lr"),
            (["--model", "cnn", "--batch-size"], "a value after --batch-size"),
            (["--model", "cnn", "--colour", "red"], "--colour"),
            (["--model", "mlp", "--resume", "/nonexistent.gbckpt"], "no file"),
            ([], "--model"),
        ]
        for args, needle in cases:
            proc, _ = train(glassbox, *args, expect_ok=False)
            if proc.returncode != 1 or needle not in proc.stderr:
                sys.exit(f"glassbox train digits {' '.join(args)}: exit {proc.returncode}, stderr {proc.stderr!r}"
                         f" (expected exit 1 naming {needle!r})")
        proc = subprocess.run([glassbox, "train", "cifar"], capture_output=True, text=True)
        if proc.returncode != 1 or "digits" not in proc.stderr:
            sys.exit(f"an unknown data set must fail naming digits: {proc.stderr!r}")
    else:
        sys.exit(f"unknown check {what!r}")


if __name__ == "__main__":
    main()
