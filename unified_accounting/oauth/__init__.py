"""Provider-neutral OAuth 2.0 (authorization code grant, confidential and public PKCE clients).

A provider declares its OAuth in :class:`OAuthSettings`; :class:`~unified_accounting.Provider`'s
default ``authorization_url``, ``exchange_code``, ``refresh`` and ``revoke`` run it through
:class:`OAuthFlow`, and every refusal of an OAuth endpoint becomes an error of the tree through
:func:`token_endpoint_error`.
"""

from .declaration import OAuthSettings
from .errors import token_endpoint_error, token_response_json
from .flow import OAuthFlow, rebase, token_set
from .pkce import code_challenge, new_code_verifier

__all__ = [
    "OAuthFlow",
    "OAuthSettings",
    "code_challenge",
    "new_code_verifier",
    "rebase",
    "token_endpoint_error",
    "token_response_json",
    "token_set",
]
