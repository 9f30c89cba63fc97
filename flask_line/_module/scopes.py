"""Which module scope each Messaging API path needs (LINE's "Attach Module Channel" scope table)."""

from __future__ import annotations

import re

#: (path pattern, scope) in order; the first match decides. Paths not listed need no scope we know of.
SCOPE_TABLE: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), scope)
    for pattern, scope in (
        (r"^/v2/bot/user/[^/]+/linkToken$", None),
        (r"^/v2/bot/message/markAsRead$", "message:mark_as_read"),
        (r"^/bot/pnp/templated/", "message:templated_pnp"),
        (r"^/v2/bot/message/delivery/pnp$", "message:templated_pnp"),
        (r"^/v2/bot/message/(reply|push|multicast|broadcast|narrowcast)$", "message:send"),
        (r"^/v2/bot/message/(progress|validate|quota|delivery|aggregation)(/|$)", "message:send"),
        (r"^/v2/bot/audienceGroup(/|$)", "message:send"),
        (r"^/v2/bot/chat/loading/start$", "message:send"),
        (r"^/v2/bot/chat/[^/]+/control/(acquire|release)$", "message:receive"),
        (r"^/v2/bot/user/all/richmenu(/|$)", "account:manage"),
        (r"^/v2/bot/insight/", "account:manage"),
        (r"^/v2/bot/profile/", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/(summary|members?/)", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/members/count$", "profile:read"),
        (r"^/v2/bot/coupon", "coupon:manage"),
    )
)


def required_scope(path: str) -> str | None:
    """The scope a Messaging API ``path`` needs, or None (no scope, or a path we do not know)."""
    bare = path.split("?", 1)[0]
    if not bare.startswith("/"):
        bare = "/" + bare
    for pattern, scope in SCOPE_TABLE:
        if pattern.search(bare):
            return scope
    return None
