"""The Messaging API client a module gets for one bot, with LINE's chat control as first-class calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .._wire.api_client import ApiClient
from .._wire.untrusted_json import UntrustedJsonError, parse
from ..errors import ChatControlError

#: Longest ``ttl`` LINE accepts for acquired chat control (one year, reference §3.7).
MAX_CHAT_CONTROL_TTL = 31_536_000


class ModuleApiClient(ApiClient):
    """:class:`~flask_line.ApiClient` for one attached bot (``line.module.api(bot_id)``)."""

    def acquire_chat_control(self, chat_id: str, *, expired: bool = True, ttl: int | None = None) -> None:
        """Make the module the active channel of ``chat_id`` (a user, group or room id). Needs ``message:receive``.

        :param expired: True (LINE's default): control goes back to the primary channel after ``ttl`` seconds.
        :param ttl: seconds until then (LINE's default 3600, at most 31536000); ignored when ``expired`` is False.
        :raises ~flask_line.errors.ChatControlError: LINE refused (see its ``reason``).
        """
        body: dict[str, Any] = {"expired": expired}
        if ttl is not None:
            if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_CHAT_CONTROL_TTL:
                raise ValueError(f"ttl must be a whole number of seconds from 1 to {MAX_CHAT_CONTROL_TTL}")
            body["ttl"] = ttl
        self._chat_control(chat_id, "acquire", json=body)

    def release_chat_control(self, chat_id: str) -> None:
        """Give ``chat_id`` back to the primary channel. Needs ``message:receive``.

        :raises ~flask_line.errors.ChatControlError: LINE refused (see its ``reason``).
        """
        self._chat_control(chat_id, "release")

    def _chat_control(self, chat_id: str, action: str, **kwargs: Any) -> None:
        if not isinstance(chat_id, str) or not chat_id:
            raise ValueError("chat_id must be a user, group or room id")
        response = self.post(f"/v2/bot/chat/{quote(chat_id, safe='')}/control/{action}", **kwargs)
        if response.status_code >= 400:
            try:
                answer = parse(response.content)
            except UntrustedJsonError:
                answer = None
            detail = str(answer.get("message") or "") if isinstance(answer, dict) else ""
            message = f"LINE refused to {action} chat control (HTTP {response.status_code})"
            raise ChatControlError(response.status_code, f"{message}: {detail}" if detail else message)
