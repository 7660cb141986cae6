from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cockpit.clock import FakeClock

from .fakes import unused_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with unused_client() as shared:
        yield shared
