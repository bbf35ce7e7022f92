"""glassbox.lessons: the lesson catalogue (lessons/, LESSONS.md).

    gb.lessons.list()                        # [{"id", "title", "part", "parameters": [...]}, ...]
    rec = gb.lessons.run("00-tour", {"seed": 3})   # the Recording as a dict (see glassbox.trace)
"""
import json as _json

from . import _glassbox

_l = _glassbox.lessons


def list():  # noqa: A001 (the catalogue's verb, as in `glassbox list`)
    """Every lesson in course order: dicts {id, title, part, parameters: [{name, default, help}]}."""
    return _l.list()


def ids():
    return [lesson["id"] for lesson in _l.list()]


def text(lesson_id):
    """The lesson's text (its lesson.md)."""
    return _l.text(lesson_id)


def _param_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _params(params):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of name -> value, not {type(params).__name__}")
    return {str(k): _param_text(v) for k, v in params.items()}


def run_json(lesson_id, params=None, indent=1):
    """Runs the lesson and returns its Recording as JSON text (what `glassbox export` writes)."""
    return _l.run_json(lesson_id, _params(params), indent)


def run(lesson_id, params=None):
    """Runs the lesson's scenario (the real library code) and returns its Recording as a dict.
    params: {name: value}; values may be numbers or strings; missing ones take their defaults and
    unknown names raise glassbox.Error."""
    return _json.loads(_l.run_json(lesson_id, _params(params), -1))


__all__ = ["list", "ids", "text", "run", "run_json"]
