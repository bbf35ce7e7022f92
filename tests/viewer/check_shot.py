#!/usr/bin/python3
"""check_shot.py: runs `glassbox shot` and checks the PNG it writes (size, and that something was drawn).

Usage:
  check_shot.py GLASSBOX OUT.png --lesson 00-tour --step 3 [--width 1280 --height 800]
      renders under xvfb-run and checks the image.
  check_shot.py GLASSBOX OUT.png --lesson L --step N --expect-error TEXT [--no-display]
      expects a clean failure: exit code 1, TEXT in stderr, no crash, no PNG.
Standard library only (a small PNG reader), so the test needs nothing beyond Debian's python3.
"""
import argparse
import os
import struct
import subprocess
import sys
import zlib

# -noreset: see tests/CMakeLists.txt (a client connecting while Xvfb resets cannot open the display).
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24 -noreset"]


def read_png(path):
    """Returns (width, height, channels, rows) with rows as bytes, for 8-bit RGB/RGBA PNGs."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"{path}: expected 8-bit RGB/RGBA, not interlaced (got depth {depth}, color {color})")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the PNG row filter (None, Sub, Up, Average, Paeth)
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("glassbox")
    ap.add_argument("out")
    ap.add_argument("--lesson", default="00-tour")
    ap.add_argument("--step", default="3")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=800)
    ap.add_argument("--expect-error")
    ap.add_argument("--no-display", action="store_true")
    args = ap.parse_args()

    if os.path.exists(args.out):
        os.remove(args.out)
    command = [args.glassbox, "shot", args.lesson, "--step", args.step, "-o", args.out,
               "--width", str(args.width), "--height", str(args.height)]
    env = dict(os.environ)
    if args.no_display:
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
    else:
        command = XVFB + command
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    if args.expect_error is not None:
        if result.returncode != 1:
            sys.exit(f"expected exit code 1, got {result.returncode}\nstderr: {result.stderr}")
        if args.expect_error not in result.stderr:
            sys.exit(f"expected {args.expect_error!r} in stderr, got: {result.stderr}")
        if os.path.exists(args.out):
            sys.exit(f"a failed shot must not write {args.out}")
        print(f"ok: failed cleanly: {result.stderr.strip()}")
        return

    if result.returncode != 0:
        sys.exit(f"glassbox shot failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    width, height, channels, rows = read_png(args.out)
    if (width, height) != (args.width, args.height):
        sys.exit(f"expected {args.width}x{args.height}, got {width}x{height}")
    # Not a single flat color: luminance varies and many colors appear (text, heatmaps, graph).
    values, colors = [], set()
    for y in range(0, height, 4):
        row = rows[y]
        for x in range(0, width, 4):
            r, g, b = row[x * channels:x * channels + 3]
            values.append(0.299 * r + 0.587 * g + 0.114 * b)
            colors.add((r, g, b))
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    print(f"{width}x{height}, luminance mean {mean:.1f} variance {variance:.1f}, {len(colors)} colors")
    if variance < 100:
        sys.exit(f"the image is nearly flat (luminance variance {variance:.1f} < 100)")
    if len(colors) < 50:
        sys.exit(f"the image has only {len(colors)} colors: the panels did not draw")


if __name__ == "__main__":
    main()
