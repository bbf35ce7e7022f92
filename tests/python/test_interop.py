"""NumPy <-> Tensor without copies, the supported dtypes, the exception classes, Rng."""
import gc
import sys

import numpy as np
import pytest

import glassbox as gb
from conftest import DTYPES, as_np


@pytest.mark.parametrize("name", list(DTYPES))
def test_every_dtype_round_trips(name):
    a = (np.arange(12) % 7).astype(DTYPES[name]).reshape(3, 4)
    t = gb.tensor(a)
    assert t.dtype == name and t.shape == (3, 4) and t.strides == (4, 1) and t.ndim == 2 and t.numel == 12
    assert t.itemsize == a.itemsize == gb.dtype_size(name)
    back = np.asarray(t)
    assert back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)
    assert np.shares_memory(back, a)
    assert gb.numpy_dtype(name) == a.dtype


@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.complex64, np.uint16, np.uint32, np.uint64, object])
def test_unsupported_dtypes_raise(dtype):
    with pytest.raises(gb.Error) as info:
        gb.tensor(np.zeros(3, dtype=dtype))
    e = info.value
    assert e.op == "tensor" and "dtype" in e.given and "float32" in e.expected
    assert np.dtype(dtype).name in str(e)


def test_zero_copy_numpy_to_tensor():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = gb.tensor(a)
    a[1, 2] = 100.0  # NumPy writes, the tensor sees it
    assert t.at([1, 2]) == 100.0
    t.set([0, 0], -5.0)  # the tensor writes, NumPy sees it
    assert a[0, 0] == -5.0
    v = t.transpose()  # a glassbox view of NumPy's memory
    a[2, 1] = 42.0
    assert v.at([1, 2]) == 42.0


def test_zero_copy_tensor_to_numpy():
    t = gb.arange(6, "i64").reshape(2, 3)
    a = t.numpy()
    assert a.base is t  # the array keeps the tensor (and so its storage) alive
    a[1, 1] = 99
    assert t.at([1, 1]) == 99
    t.set([0, 2], 7)
    assert a[0, 2] == 7
    assert np.asarray(t.transpose()).strides == (8, 24)
    # Back again: an array viewing a tensor becomes a view of the same storage.
    back = gb.tensor(a[:, 1:])
    assert back.shares_storage_with(t) and back.offset == 1 and back.strides == (3, 1)


def test_strided_numpy_views_are_wrapped_without_copy():
    big = np.arange(60, dtype=np.float64).reshape(6, 10)
    view = big[1::2, ::3].T
    t = gb.tensor(view, copy=False)
    assert t.shape == view.shape
    assert tuple(s * 8 for s in t.strides) == view.strides
    np.testing.assert_array_equal(np.asarray(t), view)
    big[3, 3] = -1.0
    assert np.asarray(t)[1, 1] == -1.0


@pytest.mark.parametrize("make", [
    lambda: np.arange(10, dtype=np.float32)[::-1],                                   # negative stride
    lambda: np.arange(10, dtype=">i4"),                                              # big-endian
    lambda: np.broadcast_to(np.arange(3, dtype=np.float64), (4, 3)),                 # read-only
    lambda: np.ndarray((4,), np.float64, bytearray(40), offset=1),                    # misaligned
    lambda: np.zeros(5, np.dtype([("a", "u1"), ("b", "<f8")]))["b"],                  # stride 9 bytes
    lambda: np.arange(12, dtype=np.float32).reshape(4, 3).view([("a", "f4"), ("b", "f4"), ("c", "f4")])["b"],
])
def test_awkward_arrays_are_copied_correctly(make):
    a = make()
    t = gb.tensor(a)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert np.asarray(t).dtype.isnative


def test_copy_false_refuses_what_needs_a_copy():
    with pytest.raises(gb.Error) as info:
        gb.tensor(np.arange(10, dtype=np.float32)[::-1], copy=False)
    assert "negative stride" in info.value.given
    with pytest.raises(gb.Error):
        gb.tensor(np.ndarray((4,), np.float64, bytearray(40), offset=1), copy=False)
    a = np.ones(3, np.float32)
    c = gb.tensor(a, copy=True)
    a[0] = 5
    assert c.at([0]) == 1.0


def test_lifetimes():
    a = np.arange(1000, dtype=np.float64)
    before = sys.getrefcount(a)
    t = gb.tensor(a)
    assert sys.getrefcount(a) == before + 1  # the tensor's storage holds the array
    v = t.slice(0, 10, 20)
    del t
    gc.collect()
    assert sys.getrefcount(a) == before + 1  # ... for as long as any view of it lives
    del v
    gc.collect()
    assert sys.getrefcount(a) == before      # and lets it go with the last one
    w = gb.tensor(np.arange(5, dtype=np.float64)).slice(0, 1, 4)
    gc.collect()
    np.testing.assert_array_equal(np.asarray(w), [1, 2, 3])  # the array lives on inside the storage
    arr = gb.arange(5, "f32").numpy()  # the tensor lives on as the array's base
    gc.collect()
    np.testing.assert_array_equal(arr, np.arange(5))


def test_python_values_and_scalars():
    t = gb.tensor([[1.5, 2.0], [3.0, 4.0]])  # a list: np.asarray makes f64
    assert t.dtype == "f64" and t.shape == (2, 2)
    i = gb.tensor(np.array(7, np.int64))
    assert i.shape == () and i.ndim == 0 and i.item() == 7 and isinstance(i.item(), int)
    assert isinstance(gb.scalar(2.5).item(), float)
    assert gb.tensor([1, 2], dtype="i8").dtype == "i8"
    assert gb.tensor([1, 2], dtype=np.float32).dtype == "f32"
    assert gb.Tensor(np.ones(2, np.uint8)).dtype == "u8"
    big = np.array([2**62 + 1], np.int64)
    assert gb.tensor(big).item() == 2**62 + 1  # exact, not through a double
    with pytest.raises(gb.Error):
        gb.tensor(np.ones(3)).item()
    e = gb.tensor(np.zeros((0, 4), np.float32))
    assert e.numel == 0 and np.asarray(e).shape == (0, 4)
    assert gb.zeros([2, 3], "i32").dtype == "i32" and gb.ones([2]).dtype == "f32"
    np.testing.assert_array_equal(np.asarray(gb.full([2], 3.5, "f64")), [3.5, 3.5])
    assert gb.tensor(np.ones(3), dtype="f32").dtype == "f32"
    with pytest.raises(gb.Error):
        gb.zeros([2], "f16")


def test_repr_len_iter_bool():
    t = gb.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert repr(t) == str(t)
    assert "shape=[2, 3]" in repr(t) and "dtype=i32" in repr(t)
    assert len(t) == 2
    assert [np.asarray(r).tolist() for r in t] == [[0, 1, 2], [3, 4, 5]]
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert bool(gb.scalar(1.0)) and not bool(gb.scalar(0.0))
    with pytest.raises(gb.Error):
        bool(t)
    assert (t == None) is False  # noqa: E711
    assert t.T.shape == (3, 2)


def test_error_classes():
    assert issubclass(gb.Error, RuntimeError)
    assert issubclass(gb.NotImplementedExercise, gb.Error)
    assert gb.core.Error is gb.Error
    with pytest.raises(gb.Error) as info:
        gb.tensor(np.ones((2, 3), np.float32)).reshape(4, 2)
    e = info.value
    assert e.op == "reshape" and e.expected and e.given
    assert str(e).startswith("reshape: expected ")
    assert gb.Error("plain").op is None  # raised from Python: the attributes default to None
    assert gb.NotImplementedExercise("x").task is None


def test_rng_is_reproducible():
    r = gb.Rng(42)
    assert [r.next_u32() for _ in range(2)] == [0xA15C02B7, 0x7B47F409]  # the pcg32-demo sequence
    a = gb.Rng(3).normal([1000], 0.0, 1.0, "f64")
    b = gb.Rng(3).normal((1000,), dtype="f64")
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    x = np.asarray(a)
    assert abs(x.mean()) < 0.15 and 0.85 < x.std() < 1.15
    u = np.asarray(gb.Rng(1).uniform([500], -2.0, 3.0))
    assert u.dtype == np.float32 and u.min() >= -2 and u.max() < 3
    r = gb.Rng(5)
    assert all(0 <= r.randint(0, 10) < 10 for _ in range(100))
    assert 0.0 <= r.uniform() < 1.0 and isinstance(r.normal(), float)
    with pytest.raises(gb.Error):
        r.randint(3, 3)
