"""glassbox.kernels: inference kernels (lessons 18-memory-layout to 22-indirect-convolution), NumPy in and out.

    c = gb.kernels.gemm(a, b, variant="avx2")      # a @ b (2-D float32) with one rung of the ladder
    gb.kernels.variants()                          # the ladder: naive, ikj, blocked, packed, micro, ...
    gb.kernels.available_variants()                # the rungs this CPU can run
    y = gb.kernels.to_layout(x, "NCHW", "NC4HW4")  # [N, C, H, W] -> [N, ceil(C/4), H, W, 4], zero padded
    x = gb.kernels.to_layout(y, "NC4HW4", "NCHW", channels=C)
    gb.kernels.offset("NC4HW4", (N, C, H, W), (n, c, h, w))
    rec = gb.kernels.record_gemm_blocking(8, 8, 8)  # a Recording dict (see glassbox.trace)
    rec = gb.kernels.record_layout_strip((1, 6, 2, 2), x=4)
    y = gb.kernels.conv2d(x, w, b, stride=1, padding=1, algo="winograd")   # NCHW x, OIHW w, like PyTorch
    gb.kernels.conv_algorithms()                   # direct, direct_nhwc, im2col, spatial, winograd_2x2, ...
    gb.kernels.conv_plan(x.shape, w.shape, padding=1)  # the chooser's pick and each workspace in bytes
    y = gb.kernels.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    y = gb.kernels.avg_pool2d(x, 2, count_include_pad=False)
    rec = gb.kernels.record_winograd_tile(4)       # also record_sliding_window, record_im2col,
                                                   # record_spatial_pack, record_indirection

Bad input (a 3-D operand, mismatched K, an unknown variant or layout, a variant this CPU cannot run)
raises glassbox.Error.
"""
import json as _json

import numpy as _np

from . import _glassbox

_k = _glassbox.kernels

__all__ = ["gemm", "variants", "available_variants", "best_variant", "to_layout", "offset",
           "record_gemm_blocking", "record_layout_strip", "conv2d", "conv_algorithms", "conv_plan",
           "max_pool2d", "avg_pool2d", "record_sliding_window", "record_im2col", "record_spatial_pack",
           "record_winograd_tile", "record_indirection"]


def gemm(a, b, variant="best", threads=0):
    """a @ b for 2-D float32 arrays with the named rung (threads: the `threaded` rung only, 0 = all cores)."""
    return _np.asarray(_k.gemm(a, b, str(variant), int(threads)))


def variants():
    """Every rung of the ladder, in order."""
    return list(_k.variants())


def available_variants():
    """The rungs this CPU can run (avx2 / avx512 only where the CPU has them)."""
    return list(_k.available_variants())


def best_variant():
    """The micro-kernel that variant="best" runs on this CPU."""
    return _k.best_variant()


def to_layout(x, source, target, channels=0):
    """x (stored in layout `source`) converted to `target`: "NCHW", "NHWC", "NC4HW4", "NCHW8", "NCHW16".
    From a blocked layout, channels is the true C (0 = every stored channel, padding included)."""
    return _np.asarray(_k.to_layout(x, str(source), str(target), int(channels)))


def offset(layout, dims, index):
    """The offset in elements of index (n, c, h, w) in a tensor of dims (N, C, H, W) stored in `layout`."""
    return _k.offset(str(layout), [int(d) for d in dims], [int(i) for i in index])


def record_gemm_blocking(m, n, k, blocking=(4, 4, 4, 2, 2), elements=False):
    """The blocked GEMM of lesson 19 as a Recording dict; blocking = (MC, KC, NC, MR, NR)."""
    return _json.loads(_k.record_gemm_blocking_json(int(m), int(n), int(k), [int(v) for v in blocking], bool(elements)))


def record_layout_strip(dims, x=4):
    """The NCHW -> NCHWx memory strip of lesson 18 as a Recording dict; dims = (N, C, H, W)."""
    return _json.loads(_k.record_layout_strip_json([int(d) for d in dims], int(x)))


def _pair(value, name):
    """An int or a pair of ints -> [a, b]."""
    if isinstance(value, (int, _np.integer)):
        return [int(value), int(value)]
    values = [int(v) for v in value]
    if len(values) != 2:
        raise ValueError(f"{name}: an int or a pair (h, w), given {value!r}")
    return values


def _padding(value):
    """int p, (ph, pw) or (top, left, bottom, right) -> [top, left, bottom, right]."""
    if isinstance(value, (int, _np.integer)):
        return [int(value)] * 4
    values = [int(v) for v in value]
    if len(values) == 2:
        return [values[0], values[1], values[0], values[1]]
    if len(values) == 4:
        return values
    raise ValueError(f"padding: an int, (ph, pw) or (top, left, bottom, right), given {value!r}")


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, algo="direct", threads=1):
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d): x [N, C, H, W], w [OC, C/groups, KH, KW],
    b [OC] or None, float32. padding: int, (ph, pw) or (top, left, bottom, right) (asymmetric).
    algo: "direct", "direct_nhwc", "im2col", "spatial", "winograd" (= "winograd_4x4"), "winograd_2x2",
    "indirect" or "best" (the chooser). Winograd needs a 3x3 kernel, stride 1 and dilation 1.
    threads: 1, or more (0 = one per core): whole images, or bands of output rows, per thread; same result."""
    return _np.asarray(_k.conv2d(x, w, b, _pair(stride, "stride"), _padding(padding), _pair(dilation, "dilation"),
                                 int(groups), str(algo), int(threads)))


def conv_algorithms():
    """Every convolution algorithm, in lesson order (besides "best")."""
    return list(_k.conv_algorithms())


def conv_plan(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1):
    """{"chosen": the algorithm "best" runs, "out_shape": [N, OC, OH, OW], "workspace_bytes": {algo: bytes}}."""
    return _k.conv_plan([int(v) for v in x_shape], [int(v) for v in w_shape], _pair(stride, "stride"), _padding(padding),
                        _pair(dilation, "dilation"), int(groups))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling of x [N, C, H, W] float32, as torch.nn.functional.max_pool2d (stride None = kernel_size)."""
    kernel = _pair(kernel_size, "kernel_size")
    return _np.asarray(_k.max_pool2d(x, kernel, kernel if stride is None else _pair(stride, "stride"),
                                     _pair(padding, "padding"), _pair(dilation, "dilation"), bool(ceil_mode)))


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling of x [N, C, H, W] float32, as torch.nn.functional.avg_pool2d (stride None = kernel_size)."""
    kernel = _pair(kernel_size, "kernel_size")
    return _np.asarray(_k.avg_pool2d(x, kernel, kernel if stride is None else _pair(stride, "stride"),
                                     _pair(padding, "padding"), bool(ceil_mode), bool(count_include_pad)))


def _record(which, *args):
    return _json.loads(_k.record_conv_json(which, [int(a) for a in args]))


def record_sliding_window(in_h=5, in_w=5, kernel=3, stride=1, pad=0, elements=False):
    """Lesson 20: the sliding window over one channel, the output cell written at each step (a Recording dict)."""
    return _record("sliding_window", in_h, in_w, kernel, stride, pad, bool(elements))


def record_im2col(channels=2, in_h=4, in_w=4, out_channels=2, kernel=3, stride=1, pad=0):
    """Lesson 20: the Im2Col column matrix built row by row, then the GEMM (a Recording dict)."""
    return _record("im2col", channels, in_h, in_w, out_channels, kernel, stride, pad)


def record_spatial_pack(in_h=8, in_w=8, kernel=3, tile=4, stride=1, pad=1):
    """Lesson 20: spatial-pack tiles and their halos (a Recording dict)."""
    return _record("spatial_pack", in_h, in_w, kernel, tile, stride, pad)


def record_winograd_tile(m=2):
    """Lesson 21: Winograd F(m x m, 3 x 3) on one tile, four stages, multiplication counter (a Recording dict)."""
    return _record("winograd_tile", m)


def record_indirection(channels=2, in_h=4, in_w=4, out_channels=2, kernel=3, stride=1, pad=1):
    """Lesson 22: indirection-buffer pointers as edges into the input or the zero vector (a Recording dict)."""
    return _record("indirection", channels, in_h, in_w, out_channels, kernel, stride, pad)
