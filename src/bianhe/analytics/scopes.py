"""Who shares what in analytics: the scope key of a user.

Saved views are shared among users whose reach is identical — the same role family and the
same scope units — so a shared view never opens on another user's narrower or wider data.
"""

from __future__ import annotations

from bianhe.access import scope_paths

UNRESTRICTED = "*"


def scope_key(user) -> str:
    """``*`` for roles that see the whole tree, else the sorted scope paths joined by '|'."""
    paths = scope_paths(user)
    return UNRESTRICTED if paths is None else "|".join(paths)
