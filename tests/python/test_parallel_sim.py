"""gb.parallel.simulate (lesson 15): one GPT training step on a simulated DP x TP x PP mesh, checked against
the published formulas: 12 L h^2 + V h parameters (GPT-2, GPT-3's sizes), 24 b s h^2 (1 + s / 6h) flops per
layer forward and 2 b s h V for the logits (Narayanan et al. 2021), Megatron's 4 all-reduces of b s h values
per layer (Shoeybi et al. 2019) at 2 (t-1)/t per rank in a ring, ZeRO's 2 + 2 + K bytes per parameter
(Rajbhandari et al. 2020, through gb.parallel.zero_memory); the events and the Perfetto JSON re-read with
NumPy and Python's json."""
import json

import numpy as np
import pytest

import glassbox as gb

PUBLISHED = {"gpt-small": 124e6, "gpt-1.3b": 1.3e9, "gpt-6.7b": 6.7e9, "gpt-13b": 13e9}


def test_presets_are_12_l_h2_plus_v_h_and_near_the_published_sizes():
    presets = gb.parallel.gpt_presets()
    assert set(presets) == set(PUBLISHED)
    for name, p in presets.items():
        assert p["parameters"] == 12 * p["layers"] * p["hidden"] ** 2 + p["vocab"] * p["hidden"]
        assert p["parameters"] == pytest.approx(PUBLISHED[name], rel=0.02)


def test_one_device_step_is_the_flops_over_the_speed():
    m = 2
    r = gb.parallel.simulate(model="gpt-small", microbatches=m)
    p = r["model"]
    b, s, h, L, V = 1, p["sequence"], p["hidden"], p["layers"], p["vocab"]
    flops = m * 3 * (L * 24 * b * s * h * h * (1 + s / (6 * h)) + 2 * b * s * h * V)
    assert r["step_seconds"] == pytest.approx(flops / 100e12, rel=1e-12)
    assert r["bubble"] == pytest.approx(0, abs=1e-12)


def test_model_states_are_zeros_bytes_per_parameter():
    for zero in (0, 1):
        r = gb.parallel.simulate(dp=4, zero=zero, model="gpt-small", microbatches=1)
        n = r["model"]["parameters"]
        d = r["devices"][0]
        states = d["memory"]["parameters"] + d["memory"]["gradients"] + d["memory"]["optimizer states"]
        assert states == gb.parallel.zero_memory(n, 4, stage=zero)


def test_tensor_parallel_bytes_are_megatrons_four_all_reduces_per_layer():
    t, m = 4, 2
    r = gb.parallel.simulate(tp=t, model="gpt-small", microbatches=m)
    p = r["model"]
    bsh_bytes = 1 * p["sequence"] * p["hidden"] * 2
    for d in r["devices"]:
        assert d["tp_bytes"] == m * p["layers"] * 4 * 2 * (t - 1) * bsh_bytes // t
        assert d["parameters"] * t == p["parameters"]
    assert r["mesh"]["tp_within_nodes"]


def test_events_add_up_to_the_breakdown():
    r = gb.parallel.simulate(dp=2, tp=2, pp=2, model="gpt-small", microbatches=4)
    assert len(r["events"]) == r["tasks"]
    ev = r["events"]
    for d in r["devices"]:
        spans = np.array([(start, end) for dev, _, cat, start, end in ev if dev == d["device"] and cat == "compute"])
        # one compute stream: its spans never overlap, so their sum is the busy time
        assert spans[:, 1].sum() - spans[:, 0].sum() == pytest.approx(d["compute"], rel=1e-9)
        assert d["compute"] + d["idle"] == pytest.approx(r["step_seconds"], rel=1e-12)
    assert max(e[4] for e in ev) == pytest.approx(r["step_seconds"], rel=1e-12)


def test_perfetto_trace_parses_with_one_complete_event_per_task():
    r = gb.parallel.simulate(dp=2, tp=2, pp=2, model="gpt-small", microbatches=2, devices_per_node=4, perfetto=True)
    trace = json.loads(r["perfetto"])["traceEvents"]
    complete = [e for e in trace if e["ph"] == "X"]
    assert len(complete) == r["tasks"]
    for e, (device, name, cat, start, end) in zip(complete, r["events"]):
        assert (e["name"], e["cat"], e["pid"]) == (name, cat, device // 4)
        assert e["dur"] == pytest.approx((end - start) * 1e6, rel=1e-12, abs=1e-9)
    assert {e["pid"] for e in trace if e["ph"] == "M" and e["name"] == "process_name"} == {0, 1}


def test_a_model_too_big_is_flagged():
    r = gb.parallel.simulate(model="gpt-13b", microbatches=1, events=False)
    assert not r["fits"] and r["over_capacity"] == [0]
    assert r["devices"][0]["peak"] > r["capacity"]
    assert "events" not in r


@pytest.mark.parametrize("kwargs", [dict(tp=5), dict(pp=5), dict(dp=0), dict(pp=2, zero=2), dict(model="gpt-9"),
                                    dict(microbatches=0), dict(memory_gb=-1)])
def test_bad_configurations_raise(kwargs):
    with pytest.raises(gb.Error):
        gb.parallel.simulate(**kwargs)
