"""glassbox.trace: Recordings as plain dicts.

A Recording (DESIGN.md section 3) is a dict with the keys of its JSON form (lib/trace/json.hpp):
  {"version", "lesson", "title", "parameters", "scenes": [...], "steps": [...]}
Fields equal to their default are left out (read them with .get()); non-finite numbers are the
strings "nan", "inf", "-inf". Every function here accepts a dict or JSON text.
"""
import json as _json

from . import _glassbox

_t = _glassbox.trace


def _text(recording):
    if isinstance(recording, (str, bytes, bytearray)):
        return recording if isinstance(recording, str) else recording.decode("utf-8")
    return _json.dumps(recording, allow_nan=False)


def to_json(recording, indent=1, validate=True):
    """The canonical JSON text of a recording (what `glassbox export --format json` writes).
    The C++ reader checks it first (and, with validate=True, replays every step)."""
    return _t.normalize(_text(recording), indent, validate)


def from_json(text, validate=True):
    """JSON text (or a dict) -> a checked Recording dict."""
    return _json.loads(_t.normalize(_text(text), -1, validate))


def validate(recording):
    """Raises glassbox.Error describing the first change that does not apply."""
    _t.validate(_text(recording))


def num_steps(recording):
    return _t.steps(_text(recording))


def replay(recording, k):
    """The state after steps 0..k (k = -1: the initial scenes), as a dict:
    {"step": k, "scenes": [{"scene": <scene dict>, "highlighted": [...], "cells_read": [...],
    "cells_written": [...]}, ...]} in the recording's scene order. The marks belong to step k alone."""
    step, scenes_json, marks = _t.replay(_text(recording), int(k))
    scenes = _json.loads(scenes_json)["scenes"]
    return {
        "step": step,
        "scenes": [
            {"scene": scene, "highlighted": list(h), "cells_read": list(r), "cells_written": list(w)}
            for scene, (h, r, w) in zip(scenes, marks)
        ],
    }


def find_scene(recording_or_state, scene_id):
    """The scene with this id in a recording or a replay state (its "scene" entry), or KeyError."""
    for s in recording_or_state["scenes"]:
        scene = s.get("scene", s)
        if scene["id"] == scene_id:
            return scene
    raise KeyError(scene_id)


def to_dot(recording):
    """Every graph scene as Graphviz DOT text."""
    return _t.to_dot(_text(recording))


def to_chrome_trace(recording):
    """The Chrome/Perfetto Trace Event Format, as a dict (json.dump it to open in ui.perfetto.dev)."""
    return _json.loads(_t.to_chrome_trace(_text(recording)))


def tensor_scene(scene_id, title, tensor):
    """A tensor scene dict showing a glassbox Tensor (or NumPy array) as a 2-D grid of cells."""
    from .core import tensor as _tensor
    return _json.loads(_t.tensor_scene(scene_id, title, _tensor(tensor)))["scenes"][0]


__all__ = ["to_json", "from_json", "validate", "num_steps", "replay", "find_scene", "to_dot",
           "to_chrome_trace", "tensor_scene"]
