"""The organisation picker Xero shows during consent when a user belongs to several organisations.

Plain, accessible HTML without external assets: a form with one labelled checkbox per organisation, the
original authorize parameters as hidden fields, an "Allow access" submit button and a "Cancel" button (which
answers ``error=access_denied``).  The form posts back to ``/identity/connect/authorize``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


def render_tenant_picker(
    params: Mapping[str, str], tenants: Sequence[tuple[str, str]], error: str | None = None
) -> str:
    hidden = "\n".join(
        f'      <input type="hidden" name="{escape(name)}" value="{escape(params[name])}">'
        for name in AUTHORIZE_PARAMS
        if params.get(name) is not None
    )
    boxes = "\n".join(
        f'        <div><input type="checkbox" id="tenant-{i}" name="tenant" value="{escape(tid)}">'
        f' <label for="tenant-{i}">{escape(name)}</label></div>'
        for i, (tid, name) in enumerate(tenants)
    )
    alert = f'    <p role="alert" class="error">{escape(error)}</p>\n' if error else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Select organisations - Xero emulator</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }}
    fieldset {{ border: 1px solid #888; padding: 1rem; }}
    div {{ margin: 0.4rem 0; }}
    .error {{ color: #a00000; font-weight: bold; }}
    button {{ margin-top: 1rem; margin-right: 0.5rem; padding: 0.5rem 1rem; }}
  </style>
</head>
<body>
  <main>
    <h1>Allow access to your organisations</h1>
{alert}    <form method="post" action="/identity/connect/authorize">
{hidden}
      <fieldset>
        <legend>Select the organisations this app may access</legend>
{boxes}
      </fieldset>
      <button type="submit" name="action" value="allow">Allow access</button>
      <button type="submit" name="action" value="deny">Cancel</button>
    </form>
  </main>
</body>
</html>
"""


def render_error_page(error: str, description: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorization error - Xero emulator</title></head>
<body>
  <main>
    <h1>Sorry, something went wrong</h1>
    <p role="alert">Error: <code>{escape(error)}</code> - {escape(description)}</p>
  </main>
</body>
</html>
"""
