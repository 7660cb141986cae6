"""Measure the classifier on the labelled corpus and show the result in pytest's summary.

The corpus (corpus/*.log, labelled in corpus/labels.yaml) is a set of hand-written failure
logs in the styles of GitHub Actions, GitLab CI, Jenkins, CircleCI, Buildkite and Azure
Pipelines. Flaky cases that cannot be told from the log alone carry their run history.
"""

from __future__ import annotations

from collections import Counter

from cockpit.triage import CLASSES, RunHistory, analyse

from .corpus_cases import CORPUS, Case

MIN_ACCURACY = 0.90
MIN_PER_CLASS = 5


def classify_case(case: Case) -> str:
    history = RunHistory.from_dicts(case.history) if case.history is not None else None
    analysis = analyse(
        case.path.read_bytes(), history=history, commit=case.commit, author=case.author
    )
    return analysis.triage.failure_class


def confusion_table(pairs: list[tuple[str, str]]) -> list[str]:
    """Rows: expected class; columns: predicted class."""
    counts = Counter(pairs)
    width = max(len(c) for c in CLASSES) + 2
    header = "expected \\ got".ljust(16) + "".join(c[:10].rjust(width) for c in CLASSES)
    rows = [header + "   recall"]
    for expected in CLASSES:
        total = sum(n for (e, _), n in counts.items() if e == expected)
        hits = counts[(expected, expected)]
        cells = "".join(str(counts[(expected, got)] or ".").rjust(width) for got in CLASSES)
        recall = f"{hits}/{total}" if total else "-"
        rows.append(expected.ljust(16) + cells + recall.rjust(9))
    return rows


def test_corpus_is_large_and_covers_every_class_and_several_ci_systems(
    corpus: list[Case],
) -> None:
    assert len(corpus) >= 45
    per_class = Counter(case.expected for case in corpus)
    assert set(per_class) == set(CLASSES)
    assert min(per_class.values()) >= MIN_PER_CLASS, per_class
    per_ci = Counter(case.ci for case in corpus)
    assert all(per_ci[ci] >= 8 for ci in ("github", "gitlab", "jenkins")), per_ci
    assert len(per_ci) >= 5, per_ci
    on_disk = {p.name for p in CORPUS.glob("*.log")}
    assert on_disk == {case.name for case in corpus}, "every log is labelled, every label has a log"


def test_classifier_accuracy_on_the_labelled_corpus(
    corpus: list[Case], accuracy_report: list[str]
) -> None:
    pairs = [(case.expected, classify_case(case)) for case in corpus]
    misses = [
        f"  {case.name}: expected {expected}, got {got}"
        for case, (expected, got) in zip(corpus, pairs, strict=True)
        if expected != got
    ]
    correct = sum(expected == got for expected, got in pairs)
    accuracy = correct / len(pairs)
    accuracy_report.extend(
        [
            f"corpus: {len(pairs)} logs, accuracy {correct}/{len(pairs)} = {accuracy:.1%} "
            f"(required >= {MIN_ACCURACY:.0%})",
            *confusion_table(pairs),
            *(["misclassified:", *misses] if misses else ["misclassified: none"]),
        ]
    )
    assert accuracy >= MIN_ACCURACY, "\n".join(misses)


def test_every_class_is_predicted_correctly_at_least_five_times(corpus: list[Case]) -> None:
    hits = Counter(case.expected for case in corpus if classify_case(case) == case.expected)
    assert all(hits[cls] >= MIN_PER_CLASS for cls in CLASSES), hits


def test_history_is_what_makes_the_history_dependent_cases_flaky(corpus: list[Case]) -> None:
    """Without their history, the re-run / intermittent cases look like plain code failures:
    the corpus really exercises the history path, not just log markers."""
    with_history = [c for c in corpus if c.history is not None and c.expected == "flaky"]
    assert len(with_history) >= 4
    for case in with_history:
        blind = analyse(case.path.read_bytes(), commit=case.commit).triage.failure_class
        assert blind == "code", case.name
