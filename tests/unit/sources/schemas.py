"""The schema validators of tests/unit/sim/schemas.py, loaded by path.

tests/unit has no __init__.py, so tests/unit/sim and tests/unit/sources are separate top-level
packages under pytest and cannot import each other; this loads the one implementation.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "_cockpit_test_github_schemas"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).parents[1] / "sim" / "schemas.py"
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
_schemas = sys.modules[_NAME]

runs_list_problems = _schemas.runs_list_problems
run_problems = _schemas.run_problems
jobs_list_problems = _schemas.jobs_list_problems
error_problems = _schemas.error_problems
