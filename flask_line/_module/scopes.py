"""Which module scope each Messaging API path needs: the scope table of LINE's "Attach module channel" (Scopes).

Each row quotes the table. A path the table does not list is sent without a local check: LINE decides, rather
than us refusing under a guessed scope.
"""

from __future__ import annotations

import re

#: (path pattern, scope): the first match decides; None means "Specification not required".
SCOPE_TABLE: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern + "$"), scope)
    for pattern, scope in (
        # "Specification not required (default)": Issue link token (/v2/bot/user/{userId}/linkToken)
        (r"^/v2/bot/user/[^/]+/linkToken", None),
        # message:send: reply, push, multicast, broadcast, narrowcast "and related APIs"
        (r"^/v2/bot/message/(reply|push|multicast|broadcast|narrowcast)", "message:send"),
        (r"^/v2/bot/message/progress/narrowcast", "message:send"),
        # message:send: Managing Audience (/v2/bot/audienceGroup/***)
        (r"^/v2/bot/audienceGroup(/.*)?", "message:send"),
        # message:send: quota (/v2/bot/message/quota) and consumption (/v2/bot/message/quota/consumption)
        (r"^/v2/bot/message/quota(/consumption)?", "message:send"),
        # message:send: Display a loading animation (/v2/bot/chat/loading/start)
        (r"^/v2/bot/chat/loading/start", "message:send"),
        # account:manage: Set default rich menu (/v2/bot/user/all/richmenu/{richMenuId})
        (r"^/v2/bot/user/all/richmenu/[^/]+", "account:manage"),
        # account:manage: insight delivery, followers, demographic, message event, aggregation
        (r"^/v2/bot/insight/(message/delivery|followers|demographic|message/event(/aggregation)?)", "account:manage"),
        # message:mark_as_read (/v2/bot/message/markAsRead)
        (r"^/v2/bot/message/markAsRead", "message:mark_as_read"),
        # message:templated_pnp: send (/v2/bot/message/pnp/templated/push) and count
        # (/v2/bot/message/delivery/pnp/templated)
        (r"^/v2/bot/message/pnp/templated/push", "message:templated_pnp"),
        (r"^/v2/bot/message/delivery/pnp/templated", "message:templated_pnp"),
        # profile:read: profile, group summary, group/room member profile, group/room member counts
        (r"^/v2/bot/profile/[^/]+", "profile:read"),
        (r"^/v2/bot/group/[^/]+/summary", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/member/[^/]+", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/members/count", "profile:read"),
        # coupon:manage: create and list (/v2/bot/coupon), get (/v2/bot/coupon/{couponId}), close (.../close)
        (r"^/v2/bot/coupon(/[^/]+(/close)?)?", "coupon:manage"),
        # message:receive: Chat control (module-technical-chat-control)
        (r"^/v2/bot/chat/[^/]+/control/(acquire|release)", "message:receive"),
    )
)


def required_scope(path: str) -> str | None:
    """The scope LINE's "Attach module channel" names for a Messaging API ``path`` (normalised), or None."""
    bare = path.split("?", 1)[0]
    for pattern, scope in SCOPE_TABLE:
        if pattern.match(bare):
            return scope
    return None
