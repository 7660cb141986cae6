"""Where a key path is in a YAML document, so a rule-file problem reads `file:line:col`."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def locate(
    root: yaml.Node | None, path: Sequence[str | int], *, at_key: bool = False
) -> tuple[int, int]:
    """1-based line and column of the node at `path`, or of its nearest existing ancestor.

    With `at_key`, a mapping entry is located at its key (for unknown keys), else at its value.
    """
    if root is None:
        return 1, 1
    node = root
    for depth, part in enumerate(path, start=1):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = key if at_key and depth == len(path) else value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1, node.start_mark.column + 1
