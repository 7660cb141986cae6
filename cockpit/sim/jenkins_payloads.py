"""Jenkins as the scenario shows it: builds, Pipeline stages and consoles, as Jenkins sends them.

A scenario run on branch B of service S is build n of the multibranch job `owner/S/B`, numbered
in creation order; a rebuild (`Scenario.rerun`) is the next number. A build exists once it
leaves the queue (its start); before that it is a queue item.

- `build()` is the build as `api/json` exports it (`WorkflowRun`), `apply_tree()` narrows any
  export to a `tree=` expression exactly as Jenkins does (every object keeps its `_class`, even
  when none of its fields were asked for; `{m,n}` slices arrays).
- `describe()` is the Pipeline: Stage View plugin's `RunExt` (`wfapi/describe`).
- `console()` is the raw log, with a hidden console note the way Jenkins stores it;
  `progressive_text()` serves it as `logText/progressiveText` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cockpit.sim.scenario import CiRunPlan, CiRunState

WORKFLOW_RUN = "org.jenkinsci.plugins.workflow.job.WorkflowRun"
WORKFLOW_JOB = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
_NOTE = b"\x1b[8mha:////4H+H6gi+RzqRXgbuxDkiDNvJYq3pMCu17+YXxGOB+mHbAAAAlx+LCAAAAAAAAP9b85a\x1b[0m"
_NOTE_RE = re.compile(rb"\x1b\[8mha:[A-Za-z0-9+/=]*\x1b\[0m")
_LONE_LF = re.compile(rb"(?<!\r)\n")
_STAGE_STATUS = {"success": "SUCCESS", "failure": "FAILED", "skipped": "NOT_EXECUTED"}


def millis(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class BuildView:
    """Build `number` of a job: the scenario run behind it, at one moment."""

    number: int
    state: CiRunState
    job_url: str
    library_sha: str

    @property
    def plan(self) -> CiRunPlan:
        return self.state.plan

    @property
    def building(self) -> bool:
        return self.state.status != "completed"

    @property
    def result(self) -> str | None:
        if self.building:
            return None
        return "SUCCESS" if self.state.conclusion == "success" else "FAILURE"

    @property
    def url(self) -> str:
        return f"{self.job_url}{self.number}/"


def build(
    view: BuildView, previous: BuildView | None, estimated_ms: int, at: datetime
) -> dict[str, Any]:
    """The build as `.../<n>/api/json` exports it at depth 1 (a Pipeline multibranch build)."""
    plan = view.plan
    started = plan.started_at
    ended = view.state.completed_at
    revision = {"SHA1": plan.commit, "branch": [{"SHA1": plan.commit, "name": plan.branch}]}
    library = {
        "SHA1": view.library_sha,
        "branch": [{"SHA1": view.library_sha, "name": "refs/remotes/origin/master"}],
    }
    cause = "Branch event" if plan.attempt == 1 else f"Started by user {plan.author.title()}"
    actions: list[dict[str, Any]] = [
        {"_class": "hudson.model.CauseAction", "causes": [{"shortDescription": cause}]},
        {
            "_class": "hudson.plugins.git.util.BuildData",
            "lastBuiltRevision": library,
            "remoteUrls": ["https://git.example.com/acme/jenkins-library.git"],
            "scmName": "",
        },
        {
            "_class": "hudson.plugins.git.util.BuildData",
            "lastBuiltRevision": revision,
            "remoteUrls": [f"https://git.example.com/acme/{plan.service}.git"],
            "scmName": "",
        },
        {},
        {"_class": "org.jenkinsci.plugins.workflow.cps.EnvActionImpl"},
    ]
    return {
        "_class": WORKFLOW_RUN,
        "actions": actions,
        "artifacts": [],
        "building": view.building,
        "description": None,
        "displayName": f"#{view.number}",
        "duration": 0 if ended is None else millis(ended) - millis(started),
        "estimatedDuration": estimated_ms,
        "executor": None,
        "fullDisplayName": f"{plan.service} » {plan.branch} #{view.number}",
        "id": str(view.number),
        "keepLog": False,
        "number": view.number,
        "queueId": plan.run_id % 100_000,
        "result": view.result,
        "timestamp": millis(started),
        "url": view.url,
        "changeSets": [],
        "culprits": [],
        "inProgress": view.building,
        "nextBuild": None,
        "previousBuild": None
        if previous is None
        else {"number": previous.number, "url": previous.url},
    }


def job(views: list[BuildView], name: str, url: str) -> dict[str, Any]:
    """The branch job as `.../api/json` exports it; `builds` newest first, as Jenkins lists."""
    newest = views[-1] if views else None
    color = "notbuilt"
    if newest is not None:
        color = "blue" if newest.result == "SUCCESS" else "red"
        color += "_anime" if newest.building else ""
    return {
        "_class": WORKFLOW_JOB,
        "description": None,
        "displayName": name,
        "fullName": url,
        "name": name,
        "url": url,
        "buildable": True,
        "builds": [
            {"_class": WORKFLOW_RUN, "number": v.number, "url": v.url} for v in reversed(views)
        ],
        "color": color,
        "inQueue": False,
        "nextBuildNumber": (newest.number if newest else 0) + 1,
    }


def describe(view: BuildView, job_path: str, at: datetime) -> dict[str, Any]:
    """The Stage View plugin's `RunExt` for the build (`wfapi/describe`)."""
    state = view.state
    base = f"{job_path}/{view.number}"
    stages = []
    for index, step in enumerate(
        s for s in state.steps if s.started_at is not None or s.status == "completed"
    ):
        if step.status == "in_progress":
            status = "IN_PROGRESS"
        else:
            status = _STAGE_STATUS.get(step.conclusion or "", "NOT_EXECUTED")
        start = step.started_at or state.completed_at
        end = step.completed_at or (at if step.status == "in_progress" else start)
        node = str(6 + 7 * index)
        stage: dict[str, Any] = {
            "_links": {"self": {"href": f"{base}/execution/node/{node}/wfapi/describe"}},
            "id": node,
            "name": step.name,
            "execNode": "",
            "status": status,
            "startTimeMillis": millis(start),
            "durationMillis": max(0, millis(end) - millis(start)),
            "pauseDurationMillis": 0,
        }
        if status == "FAILED":
            code = 137 if view.plan.failure_kind == "infra" else 1
            stage["error"] = {
                "message": f"script returned exit code {code}",
                "type": "hudson.AbortException",
            }
        stages.append(stage)
    run_status = (
        "IN_PROGRESS" if view.building else ("SUCCESS" if view.result == "SUCCESS" else "FAILED")
    )
    run_start = millis(view.plan.started_at)
    run_end = millis(at) if view.building else millis(state.completed_at)
    return {
        "_links": {"self": {"href": f"{base}/wfapi/describe"}},
        "id": str(view.number),
        "name": f"#{view.number}",
        "status": run_status,
        "startTimeMillis": run_start,
        "endTimeMillis": run_end,
        "durationMillis": max(0, run_end - run_start),
        "queueDurationMillis": 0,
        "pauseDurationMillis": 0,
        "stages": stages,
    }


def console(view: BuildView, padding: int = 0) -> bytes:
    """The raw console log so far (console notes included), as Jenkins stores it."""
    plan, state = view.plan, view.state
    workspace = f"/home/jenkins/workspace/{plan.service}_{plan.branch.replace('/', '_')}"
    lines = [
        b"Started by user " + _NOTE + plan.author.title().encode(),
        f"Obtained Jenkinsfile from git https://git.example.com/acme/{plan.service}.git".encode(),
        b"[Pipeline] Start of Pipeline",
        b"[Pipeline] node",
        f"Running on agent-linux-{plan.run_id % 9 + 1} in {workspace}".encode(),
        b"[Pipeline] {",
    ]
    if padding > 0:
        filler = b"Downloading https://repo.example.com/maven2/org/acme/lib/1.0/lib-1.0.jar\n"
        lines.append((filler * (padding // len(filler) + 1))[:padding].rstrip(b"\n"))
    failed = False
    for step_plan, step in zip(plan.steps, state.steps, strict=True):
        if step.status == "queued":
            break
        lines += [b"[Pipeline] stage", f"[Pipeline] {{ ({step.name})".encode()]
        if failed or step.conclusion == "skipped":
            lines.append(f'Stage "{step.name}" skipped due to earlier failure(s)'.encode())
        else:
            shown = step_plan.log if step.status == "completed" else step_plan.log[:1]
            lines += [line.encode() for line in shown]
        if step.status == "completed":
            lines += [b"[Pipeline] }", b"[Pipeline] // stage"]
        failed = failed or step.conclusion == "failure"
    if not view.building:
        lines += [b"[Pipeline] }", b"[Pipeline] // node", b"[Pipeline] End of Pipeline"]
        if view.result != "SUCCESS":
            code = 137 if plan.failure_kind == "infra" else 1
            lines.append(f"ERROR: script returned exit code {code}".encode())
        lines.append(f"Finished: {view.result}".encode())
    return b"\n".join(lines) + b"\n"


def progressive_text(raw: bytes, start: int) -> tuple[bytes, int]:
    """What `logText/progressiveText?start=N` sends: the text after raw byte `start` with the
    console notes removed and lone LFs turned into CRLF (Jenkins' LineEndNormalizingWriter),
    and `X-Text-Size`: the raw offset reached. A `start` past the end starts over ("text rolled
    over")."""
    if start > len(raw) or start < 0:
        start = 0
    text = _NOTE_RE.sub(b"", raw[start:])
    return _LONE_LF.sub(b"\r\n", text), len(raw)


def apply_tree(value: Any, tree: str) -> Any:
    """Narrow an export to a `tree=` expression (`a,b[c,d]{0,20}`), as Jenkins does."""
    spec, _ = _parse(tree, 0)
    return _apply(value, spec)


_Spec = list[tuple[str, "_Spec | None", tuple[int, int] | None]]


def _parse(text: str, pos: int) -> tuple[_Spec, int]:
    spec: _Spec = []
    while pos < len(text) and text[pos] != "]":
        match = re.compile(r"\s*([\w$]+)").match(text, pos)
        if match is None:
            raise ValueError(f"bad tree at {pos}: {text[pos : pos + 20]!r}")
        name, pos = match.group(1), match.end()
        sub: _Spec | None = None
        if pos < len(text) and text[pos] == "[":
            sub, pos = _parse(text, pos + 1)
            pos += 1  # the closing ]
        window = None
        ranged = re.compile(r"\{(\d*),?(\d*)\}").match(text, pos)
        if ranged is not None:
            low, high = ranged.groups()
            window, pos = (int(low or 0), int(high) if high else 1 << 30), ranged.end()
        spec.append((name, sub, window))
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return spec, pos


def _apply(value: Any, spec: _Spec) -> Any:
    if isinstance(value, list):
        return [_apply(item, spec) for item in value]
    if not isinstance(value, dict):
        return value
    narrowed = {"_class": value["_class"]} if "_class" in value else {}
    for name, sub, window in spec:
        if name not in value:
            continue
        field = value[name]
        if isinstance(field, list) and window is not None:
            field = field[window[0] : window[1]]
        narrowed[name] = _apply(field, sub) if sub is not None else field
    return narrowed
