"""gb.parallel's pipeline schedules (lesson 14): the simulated executions against the published
formulas: the bubble (p-1)/(m+p-1) of GPipe and 1F1B (Huang et al. 2019; Narayanan et al. 2021),
(p-1)/(v m + p - 1) of interleaved 1F1B (Megatron-LM 2021), (p-1)/p of naive model parallelism; and
the events themselves re-checked with NumPy (idle time summed from the events, dependencies)."""
import numpy as np
import pytest

import glassbox as gb


@pytest.mark.parametrize("kind", ["gpipe", "1f1b"])
@pytest.mark.parametrize("p,m", [(4, 16), (2, 3), (4, 4), (8, 2), (3, 9)])
def test_bubble_is_p_minus_1_over_m_plus_p_minus_1(kind, p, m):
    r = gb.parallel.pipeline_schedule(kind, stages=p, microbatches=m)
    assert r["bubble"] == pytest.approx((p - 1) / (m + p - 1), abs=1e-12)
    # The bubble again, from the events: device time not spent in an event.
    ev = np.array([(s, start, end) for s, _, _, start, end in r["events"]])
    busy = np.array([np.sum(ev[ev[:, 0] == s, 2] - ev[ev[:, 0] == s, 1]) for s in range(p)])
    assert 1 - busy.sum() / (p * r["makespan"]) == pytest.approx((p - 1) / (m + p - 1), abs=1e-12)
    assert r["makespan"] == pytest.approx((m + p - 1) * (1.0 + 2.0))


def test_the_course_example_is_3_over_19():
    assert gb.parallel.pipeline_schedule("1f1b", 4, 16)["bubble"] == pytest.approx(3 / 19, abs=1e-12)


@pytest.mark.parametrize("p,m,v", [(4, 8, 2), (2, 4, 3), (4, 16, 4)])
def test_interleaved_bubble(p, m, v):
    r = gb.parallel.pipeline_schedule("interleaved", stages=p, microbatches=m, chunks=v)
    assert r["bubble"] == pytest.approx((p - 1) / (v * m + p - 1), abs=1e-12)
    assert len(r["events"][0]) == 6  # (stage, mb, phase, start, end, chunk)
    chunks = {e[5] for e in r["events"]}
    assert chunks == set(range(v))


@pytest.mark.parametrize("p", [2, 4, 5])
def test_naive_bubble(p):
    r = gb.parallel.pipeline_schedule("naive", stages=p, microbatches=3, fwd_time=0.5, bwd_time=1.5)
    assert r["bubble"] == pytest.approx((p - 1) / p, abs=1e-12)


def test_peak_in_flight_gpipe_m_1f1b_p_minus_r():
    p, m = 4, 6
    assert gb.parallel.pipeline_schedule("gpipe", p, m)["peak_in_flight"] == [m] * p
    r = gb.parallel.pipeline_schedule("1f1b", p, m)
    assert r["peak_in_flight"] == [min(p - s, m) for s in range(p)]
    assert r["peak_activation_bytes"] == [min(p - s, m) * r["activation_bytes"] for s in range(p)]


def test_dependencies_hold_in_the_events():
    p, m = 4, 5
    r = gb.parallel.pipeline_schedule("1f1b", p, m)
    t = {(s, mb, ph): (start, end) for s, mb, ph, start, end in r["events"]}
    assert len(t) == 2 * p * m
    for mb in range(m):
        for s in range(1, p):
            assert t[(s, mb, "F")][0] >= t[(s - 1, mb, "F")][1]
        for s in range(p - 1):
            assert t[(s, mb, "B")][0] >= t[(s + 1, mb, "B")][1]


def test_recompute_and_slow_messages():
    plain = gb.parallel.pipeline_schedule("gpipe", 4, 8)
    recomputed = gb.parallel.pipeline_schedule("gpipe", 4, 8, recompute=True)
    assert recomputed["makespan"] > plain["makespan"]
    assert all(a < b for a, b in zip(recomputed["peak_activation_bytes"], plain["peak_activation_bytes"]))
    slow = gb.parallel.pipeline_schedule("1f1b", 4, 8, message_time=0.5)
    assert slow["bubble"] > plain["bubble"]
    assert all(end - start == pytest.approx(0.5) for *_, start, end in slow["messages"])


def test_orders():
    assert gb.parallel.pipeline_order("1f1b", 1, 3, 4) == [("F", 0), ("F", 1), ("B", 0), ("F", 2), ("B", 1), ("F", 3), ("B", 2), ("B", 3)]
    assert gb.parallel.pipeline_order("gpipe", 0, 2, 2) == [("F", 0), ("F", 1), ("B", 1), ("B", 0)]
    assert gb.parallel.pipeline_order("interleaved", 0, 2, 2, chunks=2)[:3] == [("F", 0, 0), ("F", 1, 0), ("F", 0, 1)]


@pytest.mark.parametrize("kwargs", [
    dict(kind="zigzag", stages=4, microbatches=8),
    dict(kind="gpipe", stages=0, microbatches=8),
    dict(kind="1f1b", stages=4, microbatches=0),
    dict(kind="interleaved", stages=4, microbatches=6, chunks=2),
    dict(kind="interleaved", stages=4, microbatches=8, chunks=1),
    dict(kind="gpipe", stages=4, microbatches=8, chunks=2),
    dict(kind="gpipe", stages=4, microbatches=8, fwd_time=-1.0),
])
def test_bad_input_raises_gb_error(kwargs):
    with pytest.raises(gb.Error):
        gb.parallel.pipeline_schedule(**kwargs)
