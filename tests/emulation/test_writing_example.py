"""The emulator example of docs/providers/writing.md works as the page says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from unified_accounting.emulation import RecordingSleep, UnknownEmulatorOption
from unified_accounting.emulation.command import parse

PAGE = (Path(__file__).parents[2] / "docs" / "providers" / "writing.md").read_text()


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    start = PAGE.index("```python\n# my_ledger/emulator.py") + len("```python\n")
    namespace: dict[str, Any] = {"__name__": "my_ledger_emulator"}
    exec(compile(PAGE[start : PAGE.index("```", start)], "writing.md", "exec", dont_inherit=True), namespace)
    return namespace


@pytest.mark.anyio
async def test_the_documented_emulator_serves_refreshes_and_fails_on_demand(example: dict[str, Any]) -> None:
    sleep = RecordingSleep()
    app = example["create_emulator"](seed=1, invoices=3, latency_ms=30, sleep=sleep)
    emulator = app.state.emulator
    tokens = emulator.issue_tokens_for(None)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    credentials = ("my-ledger-client", "my-ledger-secret")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://my.test") as http:
        assert len((await http.get("/api/co-1/invoices", headers=bearer)).json()["data"]) == 3
        assert (await http.get("/api/co-2/invoices", headers=bearer)).status_code == 403
        emulator.fail_next(1, 429, retry_after_s=0)
        throttled = await http.get("/api/co-1/invoices", headers=bearer)
        assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "0")
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        assert (await http.post("/oauth/token", data=form, auth=credentials)).status_code == 200
        again = await http.post("/oauth/token", data=form, auth=credentials)
        assert again.json() == {"error": "invalid_grant"}
        assert (await http.get("/api/co-1/invoices", headers=bearer)).status_code == 401  # revoked
    assert sleep.waits == [0.03]
    assert emulator.refresh_count == 2
    assert [entry.status for entry in emulator.requests("/api/")] == [200, 403, 429, 401]


def test_the_documented_emulator_refuses_misspelt_options_and_has_the_shared_flags(
    example: dict[str, Any],
) -> None:
    with pytest.raises(UnknownEmulatorOption, match="did you mean 'invoices'"):
        example["create_emulator"](invoice=3)
    invocation = parse(
        ["--invoices", "50", "--no-limits"], prog="ua sandbox myledger", command=example["COMMAND"]
    )
    assert invocation.options == {"invoices": 50, "limits": False, "seed": 1}
