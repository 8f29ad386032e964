"""The kit's fault injection and request log, on a small emulator built with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import (
    Emulator,
    EmulatorOptions,
    Fault,
    FaultInjector,
    LoggedRequest,
    RecordingSleep,
    RequestLog,
    emulator_app,
)
from unified_accounting.types import Scope

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class ShopEmulator(Emulator):
    fault_targets: ClassVar[Mapping[str, str]] = {"api": "/api/", "token": "/token"}

    def fault_response(self, fault: Fault, scope: Scope) -> Response:
        headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
        return JSONResponse({"shop_error": fault.status}, status_code=fault.status, headers=headers)

    def issue_tokens_for(self, company: str | None) -> dict[str, Any]:
        return {"access_token": f"token-for-{company or 'main'}", "expires_at": self.now()}

    def expire_access_tokens(self) -> int:
        return 0

    def revoke_all(self) -> None:
        self.revoked = True


async def hello(request: Request) -> Response:
    return JSONResponse({"hello": request.url.path})


def shop(**options: Any) -> Any:
    emulator = ShopEmulator(EmulatorOptions.from_kwargs(start_time=START, **options))
    routes = [Route("/api/{name}", hello, methods=["GET", "POST"]), Route("/token", hello, methods=["POST"])]
    return emulator_app(emulator, routes, logged_headers=("user-agent", "Authorization"))


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test")


@pytest.mark.anyio
async def test_queued_faults_hit_their_target_in_order_with_the_providers_body() -> None:
    app = shop()
    emulator = app.state.emulator
    emulator.fail_next(2, 503)
    emulator.fail_next(1, 429, target="token", retry_after_s=7)
    async with client(app) as http:
        token = await http.post("/token")
        assert (token.status_code, token.headers["retry-after"], token.json()) == (
            429,
            "7",
            {"shop_error": 429},
        )
        assert [(await http.get("/api/a")).status_code for _ in range(3)] == [503, 503, 200]
    assert emulator.faults.pending == 0 and emulator.faults.injected == 3


@pytest.mark.anyio
async def test_timeouts_disconnects_and_latency() -> None:
    sleep = RecordingSleep()
    app = shop(sleep=sleep, timeout_hang_s=30)
    emulator = app.state.emulator
    async with client(app) as http:
        emulator.fail_next(timeout=True)
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/api/a")
        emulator.fail_next(disconnect=True)
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/api/a")
        emulator.fail_next(latency_ms=1200)
        assert (await http.get("/api/a")).json() == {"hello": "/api/a"}
    assert sleep.waits == [30, 1.2]
    assert [(entry.status, entry.fault) for entry in emulator.request_log] == [
        (None, True),
        (None, True),
        (200, True),
    ]


@pytest.mark.anyio
async def test_a_timeout_can_be_answered_504_like_a_gateway() -> None:
    app = shop(timeout_mode="answer", sleep=RecordingSleep())
    app.state.emulator.fail_next(timeout=True)
    async with client(app) as http:
        answer = await http.get("/api/a")
    assert (answer.status_code, answer.json()) == (504, {"shop_error": 504})


@pytest.mark.anyio
async def test_random_errors_hit_only_the_default_target_and_are_reproducible() -> None:
    async def statuses(app: Any) -> list[int]:
        async with client(app) as http:
            assert [(await http.post("/token")).status_code for _ in range(5)] == [200] * 5
            return [(await http.get("/api/a")).status_code for _ in range(30)]

    options = {"error_rate": 0.5, "error_statuses": [500, 502], "fault_seed": 11}
    first = await statuses(shop(**options))
    assert set(first) == {200, 500, 502}
    assert await statuses(shop(**options)) == first


def test_fail_next_refuses_unknown_targets_and_statuses() -> None:
    emulator = ShopEmulator(EmulatorOptions())
    with pytest.raises(ValueError, match="unknown fault target 'nowhere': use one of api, token"):
        emulator.fail_next(target="nowhere")
    with pytest.raises(ValueError, match="4xx or 5xx"):
        emulator.fail_next(status=302)
    limited = FaultInjector({"api": "/api/"}, statuses=(429, 503))
    with pytest.raises(ValueError, match="status must be one of 429, 503"):
        limited.add(Fault(418))
    limited.add(Fault(503, prefix="/other/"))  # a path prefix is a target too
    assert limited.take("/api/x") is None and limited.take("/other/y") is not None


@pytest.mark.anyio
async def test_the_request_log_keeps_the_auth_scheme_never_the_credentials() -> None:
    app = shop(request_log_limit=2)
    emulator = app.state.emulator
    async with client(app) as http:
        await http.get("/api/first")
        await http.get("/api/a", params={"q": "1", "empty": ""}, headers={"Authorization": "Bearer s3cret"})
        await http.post("/token", auth=("id", "secret"), headers={"User-Agent": "tests/1"})
    older, last = emulator.request_log
    assert (older.path, older.query, older.auth_scheme, older.time) == (
        "/api/a",
        {"q": "1", "empty": ""},
        "bearer",
        START,
    )
    assert (last.method, last.auth_scheme, last.headers["user-agent"]) == ("POST", "basic", "tests/1")
    assert "authorization" not in last.headers and last.headers["accept"] == "*/*"  # always kept
    assert "s3cret" not in repr(emulator.request_log)
    assert emulator.requests("/a") == [older] and emulator.requests(method="post") == [last]
    assert emulator.requests_to("/token") == [last]
    emulator.clear_request_log()
    assert emulator.request_log == [] and len(emulator.request_log) == 0


def test_a_request_log_compares_with_lists_and_slices() -> None:
    log = RequestLog(limit=None)
    entries = [LoggedRequest("GET", f"/{n}", {}, {}, START) for n in range(3)]
    for entry in entries:
        log.append(entry)
    assert log == entries and log[-1] is entries[-1] and log[1:] == entries[1:]
    assert log != entries[:2]


@pytest.mark.anyio
async def test_control_routes_drive_the_emulator_from_outside() -> None:
    app = shop()
    emulator = app.state.emulator
    async with client(app) as http:
        moved = (await http.post("/_emulator/advance", params={"seconds": "3600"})).json()
        assert datetime.fromisoformat(moved["now"]) == START.replace(hour=10)
        queued = await http.post(
            "/_emulator/fail-next", params={"count": "2", "status": "502", "target": "token"}
        )
        assert queued.json() == {"queued": 2}
        refused = await http.post("/_emulator/fail-next", params={"target": "nowhere"})
        assert refused.status_code == 400 and "nowhere" in refused.json()["error"]
        tokens = (await http.post("/_emulator/tokens", params={"company": "c-2"})).json()
        assert tokens["access_token"] == "token-for-c-2"
        assert (await http.post("/_emulator/revoke-all")).json() == {"revoked": True}
        assert (await http.post("/token")).status_code == 502
        logged = (await http.get("/_emulator/requests")).json()
        assert [(entry["path"], entry["status"], entry["fault"]) for entry in logged] == [
            ("/token", 502, True)
        ]
        state = (await http.get("/_emulator/state")).json()
        assert state["pending_faults"] == 1
    assert emulator.revoked is True


@pytest.mark.anyio
async def test_control_routes_can_be_left_out() -> None:
    app = shop(control_routes=False)
    async with client(app) as http:
        assert (await http.post("/_emulator/advance", params={"seconds": "1"})).status_code == 404
