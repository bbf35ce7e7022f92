#!/usr/bin/env python3
"""check_mpi_train.py: `glassbox mpi-train` on real MPI processes, as a user types it (tests/mpi/CMakeLists.txt).

    check_mpi_train.py GLASSBOX MPIEXEC strategies       ddp, zero, tp and pp on 2 and 4 processes with --check: exit 0,
                                                         every rank bit for bit its simulated twin, the loss falls and
                                                         stays within 1e-5 of one device, one traffic row per rank
    check_mpi_train.py GLASSBOX MPIEXEC killed-rank      a rank killed (SIGKILL): the job ends, non-zero, mpiexec names it
    check_mpi_train.py GLASSBOX MPIEXEC stuck-rank       a rank that hangs: the others time out with a clear error and
                                                         MPI_Abort ends the job, non-zero, in seconds (not a hang)
    check_mpi_train.py GLASSBOX MPIEXEC failing-rank     a rank that throws: its error is printed, the job ends non-zero
    check_mpi_train.py GLASSBOX MPIEXEC single-process   without mpiexec: one rank, and a hint how to start more
    check_mpi_train.py GLASSBOX MPIEXEC bad-arguments    bad options and rank counts exit non-zero with a message

The environment (set by ctest) lets OpenMPI run as root and oversubscribe the 2 cores.
"""
import re
import subprocess
import sys
import time

LIMIT = 120  # seconds: a run that takes longer is a hang, which is what these tests exist to rule out


def check(ok, message):
    if not ok:
        sys.exit(message)


def run(cmd):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT)
    except subprocess.TimeoutExpired:
        sys.exit(f"{' '.join(cmd)} did not end within {LIMIT} s: a hang")
    return proc, time.monotonic() - start


def mpi(mpiexec, n, glassbox, *args):
    return run([mpiexec, "-np", str(n), glassbox, "mpi-train", *args])


def strategies(glassbox, mpiexec):
    for n in (2, 4):
        for strategy in ("ddp", "zero", "tp", "pp"):
            proc, _ = mpi(mpiexec, n, glassbox, "--strategy", strategy, "--steps", "6", "--check")
            what = f"mpi-train --strategy {strategy} on {n} processes"
            out = proc.stdout
            check(proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{out}{proc.stderr}")
            check(f"{strategy} on {n} MPI processes (transport mpi" in out, f"{what}: no header:\n{out}")
            check(f"bit for bit those of the same program on {n} simulated ranks" in out, f"{what}: no check line:\n{out}")
            losses = [float(m.group(1)) for m in re.finditer(r"^\s+\d+\s+(\d+\.\d+)$", out, re.M)]
            check(len(losses) == 6, f"{what}: expected 6 losses, read {losses}")
            check(losses[-1] < losses[0], f"{what}: the loss does not fall: {losses}")
            gap = re.search(r"one device: largest \|loss difference\| (\S+) over 6 steps", out)
            check(gap and float(gap.group(1)) < 1e-5, f"{what}: not within 1e-5 of one device:\n{out}")
            rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\.\d+$", out, re.M)
            check([int(r[0]) for r in rows] == list(range(n)), f"{what}: expected one traffic row per rank:\n{out}")
            check(all(int(r[1]) > 0 and int(r[2]) > 0 for r in rows), f"{what}: a rank sent nothing:\n{out}")
            print(f"ok: {what}: losses {losses[0]:.4f} -> {losses[-1]:.4f}, one device within {gap.group(1)}")


def killed_rank(glassbox, mpiexec):
    proc, seconds = mpi(mpiexec, 4, glassbox, "--strategy", "ddp", "--steps", "50", "--fail-rank", "2", "--fail-mode", "kill")
    text = proc.stdout + proc.stderr
    check(proc.returncode != 0, f"a killed rank, yet exit 0:\n{text}")
    check("rank 2" in text and ("signal 9" in text or "Killed" in text), f"mpiexec does not name the killed rank:\n{text}")
    print(f"ok: a killed rank ends the job in {seconds:.1f} s, exit {proc.returncode}")


def stuck_rank(glassbox, mpiexec):
    proc, seconds = mpi(mpiexec, 4, glassbox, "--strategy", "ddp", "--fail-rank", "1", "--fail-mode", "stall", "--timeout", "2")
    text = proc.stdout + proc.stderr
    check(proc.returncode != 0, f"a stuck rank, yet exit 0:\n{text}")
    check("expected a message within 2 s" in text and "has failed, is stuck, or sends in another order" in text,
          f"no timeout error:\n{text}")
    check(seconds < 60, f"a stuck rank took {seconds:.0f} s to end the job")
    print(f"ok: a stuck rank ends the job in {seconds:.1f} s with the timeout error, exit {proc.returncode}")


def failing_rank(glassbox, mpiexec):
    proc, seconds = mpi(mpiexec, 2, glassbox, "--strategy", "pp", "--fail-rank", "1", "--fail-mode", "error")
    text = proc.stdout + proc.stderr
    check(proc.returncode != 0, f"a failing rank, yet exit 0:\n{text}")
    check("glassbox mpi-train: rank 1: mpi-train rank 1: expected a rank that trains" in text, f"the rank's error is not printed:\n{text}")
    print(f"ok: a rank that throws ends the job in {seconds:.1f} s, exit {proc.returncode}")


def single_process(glassbox, _mpiexec):
    proc, _ = run([glassbox, "mpi-train", "--strategy", "zero", "--steps", "3", "--check"])
    out = proc.stdout
    check(proc.returncode == 0, f"mpi-train alone failed ({proc.returncode}):\n{out}{proc.stderr}")
    check("zero on 1 MPI process" in out and "mpirun -np 4 glassbox mpi-train" in out, f"no single-process header and hint:\n{out}")
    check("one device: largest |loss difference| 0 over 3 steps" in out, f"one rank is not exactly one device:\n{out}")
    print("ok: one process is one device, with a hint")


def bad_arguments(glassbox, mpiexec):
    cases = [
        ([glassbox, "mpi-train", "--strategy", "fsdp"], "--strategy: expected ddp, zero, tp or pp, given 'fsdp'"),
        ([glassbox, "mpi-train", "--steps", "0"], "--steps"),
        ([glassbox, "mpi-train", "--fail-mode", "explode"], "--fail-mode: expected kill, stall or error"),
        ([glassbox, "mpi-train", "--colour", "red"], "given '--colour'"),
        ([mpiexec, "-np", "5", glassbox, "mpi-train", "--strategy", "ddp"], "a number of ranks dividing 48"),
        ([mpiexec, "-np", "3", glassbox, "mpi-train", "--strategy", "tp"], "tp_rank_train: expected t = world.size() dividing"),
        ([mpiexec, "-np", "2", glassbox, "mpi-train", "--fail-rank", "7"], "--fail-rank: expected a rank in [0, 2)"),
    ]
    for cmd, message in cases:
        proc, _ = run(cmd)
        text = proc.stdout + proc.stderr
        check(proc.returncode != 0, f"{' '.join(cmd[-4:])}: exit 0:\n{text}")
        check(message in text, f"{' '.join(cmd[-4:])}: expected '{message}' in:\n{text}")
        check("Segmentation" not in text and "core dumped" not in text, f"a crash:\n{text}")
    print(f"ok: {len(cases)} bad invocations exit non-zero with their message")


def main():
    glassbox, mpiexec, case = sys.argv[1:4]
    {"strategies": strategies, "killed-rank": killed_rank, "stuck-rank": stuck_rank, "failing-rank": failing_rank,
     "single-process": single_process, "bad-arguments": bad_arguments}[case](glassbox, mpiexec)


if __name__ == "__main__":
    main()
