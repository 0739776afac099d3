"""``inspect`` in the judge answers for learner objects from the worker (issue 19).

A test that calls ``inspect.signature(f)``, ``inspect.getsource(f)`` or
``inspect.isgeneratorfunction(f)`` on a learner object gets the learner's answer, not the
grader's proxy code: the call runs in the worker, on the real object, and only plain data
(or handles) comes back through the codec. ``signature`` is rebuilt here as a real
:class:`inspect.Signature` from the parameters' names, kinds and defaults. Other
arguments are untouched: the judge's own objects are inspected by the judge's ``inspect``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from graders.remote.proxy import Remote, is_handle

#: inspect functions whose first argument may be a learner object
FORWARDED = (
    "getsource", "getsourcelines", "getsourcefile", "getfile", "getdoc", "getcomments",
    "getfullargspec", "getmembers", "getmro", "getcallargs", "getclosurevars", "unwrap",
    "getgeneratorstate", "isfunction", "ismethod", "isclass", "ismodule", "isgenerator",
    "isgeneratorfunction", "iscoroutinefunction", "isasyncgenfunction", "iscoroutine",
    "isawaitable", "isbuiltin", "isroutine", "isabstract", "ismethoddescriptor",
    "isdatadescriptor",
)
#: defined in the worker (it runs there, on the learner's object): a signature as data
SIGNATURE_AS_DATA = '''\
def signature_as_data(obj, follow_wrapped):
    import inspect
    empty = inspect.Parameter.empty

    def part(value):
        return [False, None] if value is empty else [True, value]

    sig = inspect.signature(obj, follow_wrapped=follow_wrapped)
    return [[[p.name, int(p.kind), *part(p.default), *part(p.annotation)]
             for p in sig.parameters.values()], part(sig.return_annotation)]
'''


def _in_worker(handle: Remote, name: str, *args: Any, **kwargs: Any) -> Any:
    """``inspect.<name>(handle, ...)`` run by the worker's own ``inspect``."""
    conn = object.__getattribute__(handle, "_conn")
    return getattr(conn.request("import", module="inspect"), name)(handle, *args, **kwargs)


def _forwarding(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def forward(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if is_handle(obj):
            return _in_worker(obj, name, *args, **kwargs)
        return original(obj, *args, **kwargs)
    forward.northlab_forwarding = True  # type: ignore[attr-defined]
    return forward


def _part(entry: Any) -> Any:
    if not (type(entry) is list and len(entry) == 2 and type(entry[0]) is bool):
        raise TypeError("the learner's signature could not be read as data")
    return entry[1] if entry[0] else inspect.Parameter.empty


def remote_signature(handle: Remote, follow_wrapped: bool = True) -> inspect.Signature:
    """The signature of a learner callable, as the worker's ``inspect`` reads it."""
    conn = object.__getattribute__(handle, "_conn")
    helper = conn.request("define", source=SIGNATURE_AS_DATA, expression=False,
                          name="signature_as_data")
    answer = helper(handle, bool(follow_wrapped))
    if not (type(answer) is list and len(answer) == 2 and type(answer[0]) is list):
        raise TypeError("the learner's signature could not be read as data")
    parameters = []
    for entry in answer[0]:
        if not (type(entry) is list and len(entry) == 6 and type(entry[0]) is str
                and type(entry[1]) is int and 0 <= entry[1] <= 4):
            raise TypeError("the learner's signature could not be read as data")
        parameters.append(inspect.Parameter(
            entry[0], inspect.Parameter.POSITIONAL_ONLY.__class__(entry[1]),
            default=_part(entry[2:4]), annotation=_part(entry[4:6])))
    return inspect.Signature(parameters, return_annotation=_part(answer[1]))


def install() -> None:
    """Make the judge's ``inspect`` answer for learner objects (idempotent)."""
    for name in FORWARDED:
        original = getattr(inspect, name)
        if not getattr(original, "northlab_forwarding", False):
            setattr(inspect, name, _forwarding(name, original))
    original_signature = inspect.signature
    if getattr(original_signature, "northlab_forwarding", False):
        return

    @functools.wraps(original_signature)
    def signature(obj: Any, *args: Any, follow_wrapped: bool = True, **kwargs: Any) -> Any:
        if is_handle(obj):
            return remote_signature(obj, follow_wrapped)
        return original_signature(obj, *args, follow_wrapped=follow_wrapped, **kwargs)

    signature.northlab_forwarding = True  # type: ignore[attr-defined]
    inspect.signature = signature
