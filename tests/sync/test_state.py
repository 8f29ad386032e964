"""The pure sync-state rules: resume, bookmark capped at the signpost, overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from unified_accounting.sync.state import Phase, SyncState

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_initial_sync_checkpoints_and_resumes() -> None:
    state = SyncState().start_initial(("customer", "invoice"), T0)
    assert state.needs_initial() and state.next_resource() == "customer"
    state = state.page_stored("customer", None, 10).page_stored("invoice", "1001", 1000)
    assert (state.next_resource(), state.cursor("invoice"), state.pages, state.records) == (
        "invoice",
        "1001",
        2,
        1010,
    )
    restored = SyncState.from_json(state.to_json())
    assert restored == state
    # Starting again after a crash resumes: same signpost, same cursors.
    assert restored.start_initial(("customer", "invoice"), T0 + timedelta(hours=1)) == state
    done = state.page_stored("invoice", None, 5).finish()
    assert (done.phase, done.bookmark, done.signpost, done.needs_initial()) == (Phase.IDLE, T0, None, False)


def test_bookmark_is_capped_at_the_signpost() -> None:
    state = SyncState(bookmark=T0).start_incremental(("invoice",), T0 + timedelta(minutes=10))
    assert state.changes_since(timedelta(minutes=5)) == T0 - timedelta(minutes=5)
    ahead = state.finish(server_time=T0 + timedelta(hours=2))  # a server clock running fast
    assert ahead.bookmark == T0 + timedelta(minutes=10)
    behind = state.finish(server_time=T0 + timedelta(minutes=3))  # the server's own clock wins when earlier
    assert behind.bookmark == T0 + timedelta(minutes=3)
    back = state.finish(server_time=T0 - timedelta(hours=1))  # never moves the bookmark back
    assert back.bookmark == T0


def test_a_new_resource_list_restarts_the_initial_sync() -> None:
    state = SyncState().start_initial(("invoice",), T0).page_stored("invoice", "2", 1)
    again = state.start_initial(("customer", "invoice"), T0 + timedelta(minutes=1))
    assert (again.cursors, again.signpost, again.pages) == ({}, T0 + timedelta(minutes=1), 0)


def test_the_last_page_stored_is_kept_for_the_next_one_to_overlap() -> None:
    from unified_accounting.sync.pages import Anchor

    state = SyncState().start_initial(("invoice",), T0)
    anchor = Anchor("981", frozenset({"17", "18", "19"}))
    state = state.page_stored("invoice", "1961", 980, anchor)
    restored = SyncState.from_json(state.to_json())
    assert restored.anchor("invoice") == anchor and restored == state
    assert state.page_stored("invoice", None, 3).anchor("invoice") is None
    assert state.finish().anchors == {}
    # A state saved before anchors existed still loads.
    assert SyncState.from_json('{"phase": "initial", "resources": ["invoice"]}').anchors == {}


def test_resources_listed_into_an_empty_mirror_are_kept_across_a_resume() -> None:
    state = SyncState().start_initial(("customer", "invoice"), T0).listing_fresh("invoice")
    assert state.listing_fresh("invoice").fresh == ("invoice",)
    state = state.page_stored("invoice", "981", 1000)
    restored = SyncState.from_json(state.to_json())
    assert restored.fresh == ("invoice",) and restored == state
    assert restored.start_initial(("customer", "invoice"), T0 + timedelta(hours=1)).fresh == ("invoice",)
    # A new run, or the end of this one, forgets it: the mirror then holds what this run wrote.
    assert state.start_initial(("invoice",), T0 + timedelta(hours=1)).fresh == ()
    assert state.page_stored("invoice", None, 5).finish().fresh == ()
    assert SyncState.from_json('{"phase": "initial", "resources": ["invoice"]}').fresh == ()
