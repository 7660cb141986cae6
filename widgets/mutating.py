"""Read-only mode does not *bind* mutating actions at all (as in k9s); it does not refuse them.

A binding whose action changes a remote system (rerun a job, promote a rollout, abort, ...) is
declared as a `MutatingBinding` in `BINDINGS`, exactly like any other binding. A node built for
read-only mode calls `unbind_mutating(self)` in its constructor, which removes those bindings from
its live binding map: the key does nothing, the footer, the help screen and the command palette
never offer it, and a user keymap cannot bring it back.

A node built before anyone knows whether mutating is allowed (the App and the dashboard, which
exist before the config is loaded) starts unbound too; `bind_mutating` binds the keys once the
session says they are allowed. Unknown is treated as read-only, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingsMap, BindingType
from textual.dom import DOMNode


@dataclass(frozen=True)
class MutatingBinding(Binding):
    """A binding whose action changes something outside the cockpit; never bound when read-only.

    It must have an `id`: Textual rebuilds bindings as plain `Binding`s when it merges a class's
    `BINDINGS`, so the id is what still identifies the binding afterwards.
    """

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError(f"mutating binding {self.key!r} -> {self.action!r} needs an id")


def bindable(bindings: Iterable[BindingType], *, read_only: bool) -> list[BindingType]:
    """The bindings to bind: all of them, or when `read_only` only those that mutate nothing."""
    return [b for b in bindings if not (read_only and isinstance(b, MutatingBinding))]


def mutating_binding_ids(node_type: type[DOMNode]) -> frozenset[str]:
    """The ids of every `MutatingBinding` declared by `node_type` or any class it inherits from."""
    ids: set[str] = set()
    for cls in node_type.__mro__:
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, MutatingBinding) and binding.id:
                ids.add(binding.id)
    return frozenset(ids)


def unbind_mutating(node: DOMNode) -> int:
    """Remove `node`'s mutating bindings from its live bindings; call it from `__init__`.

    Textual keeps each node's merged bindings in the private `_bindings` map (Textual is pinned
    exactly, and `tests/pilot/test_read_only.py` fails if this stops working).

    Returns:
        How many bindings were removed.
    """
    ids = mutating_binding_ids(type(node))
    if not ids:
        return 0
    current = [binding for _key, binding in node._bindings]
    kept = [binding for binding in current if binding.id not in ids]
    node._bindings = BindingsMap(kept)
    return len(current) - len(kept)


def bind_mutating(node: DOMNode) -> int:
    """Give `node` back its mutating bindings (once they are known to be allowed).

    Returns:
        How many bindings were added.
    """
    ids = mutating_binding_ids(type(node))
    if not ids:
        return 0
    current = [binding for _key, binding in node._bindings]
    present = {binding.id for binding in current}
    merged = type(node)._merged_bindings
    declared = [binding for _key, binding in merged] if merged is not None else []
    added = [binding for binding in declared if binding.id in ids and binding.id not in present]
    node._bindings = BindingsMap([*current, *added])
    return len(added)
