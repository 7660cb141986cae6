"""The labelled corpus: corpus/*.log with their labels in corpus/labels.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    """One labelled log of the corpus."""

    name: str
    expected: str
    ci: str
    commit: str
    author: str
    history: list[dict[str, Any]] | None = field(default=None)

    @property
    def path(self) -> Path:
        return CORPUS / self.name


def load_corpus() -> list[Case]:
    labels = yaml.safe_load((CORPUS / "labels.yaml").read_text(encoding="utf-8"))
    defaults = labels["defaults"]
    return [
        Case(
            name=name,
            expected=entry["class"],
            ci=entry["ci"],
            commit=entry.get("commit", defaults["commit"]),
            author=entry.get("author", defaults["author"]),
            history=entry.get("history"),
        )
        for name, entry in labels["logs"].items()
    ]
