"""Blinker signals sent by flask-line, all from one namespace.

Every signal is sent with ``sender=current_app._get_current_object()``, so a receiver can connect for one app::

    from flask_line.signals import login_succeeded

    @login_succeeded.connect_via(app)
    def remember(sender, user, token, **extra):
        ...
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import current_app, has_app_context


class AppSignal(NamedSignal):
    """A signal whose ``async def`` receivers run as Flask runs its own signals' (``app.ensure_sync``)."""

    def send(self, sender: Any = None, /, *, _async_wrapper: Any = None, **kwargs: Any) -> list[tuple[Any, Any]]:
        if _async_wrapper is None and has_app_context():
            _async_wrapper = current_app.ensure_sync
        return super().send(sender, _async_wrapper=_async_wrapper, **kwargs)


class _AppSignals(Namespace):
    """The namespace of flask-line's signals, each an :class:`AppSignal`."""

    def signal(self, name: str, doc: str | None = None) -> AppSignal:
        found = self.get(name)
        if found is None:
            found = self.setdefault(name, AppSignal(name, doc))
        assert isinstance(found, AppSignal)
        return found


_signals = _AppSignals()

#: A LINE Login completed. Arguments: ``user`` (:class:`~flask_line.LineUser`, whose ``channel_id`` names the
#: channel), ``token``; with a ``@line.link_user`` hook also ``site_user`` (what the hook returned).
#:
#: Every LINE Login signal says which channel (which shop) it is about: ``user.channel_id``, or ``channel_id``.
login_succeeded = _signals.signal("login-succeeded")
#: LINE returned an error to the callback (the user declined, or LINE refused the request).
#: Arguments: ``error`` (lower-case code), ``description``, ``channel_id``, and for LINE Login v2.0 ``error_code``
#: and ``error_message``.
login_denied = _signals.signal("login-denied")
#: We rejected a login callback, or a credential a client sent (``@line_token_required``, ``POST /line/session``).
#: Arguments: ``error`` (a :class:`~flask_line.errors.LineError`) and ``channel_id`` (None when the request had no
#: channel).
login_failed = _signals.signal("login-failed")
#: The user logged out of a channel. Arguments: ``user``, ``channel_id``.
logged_out = _signals.signal("logged-out")
#: An expired access token was refreshed. Arguments: ``token``, ``channel_id``.
token_refreshed = _signals.signal("token-refreshed")

#: A module was attached to an Official Account. Argument: ``attachment`` (:class:`~flask_line.ModuleAttachment`).
module_attached = _signals.signal("module-attached")
#: LINE returned an error to the attach callback (the OA admin declined). Arguments: ``error``, ``description``.
module_attach_denied = _signals.signal("module-attach-denied")
#: We rejected an attach callback, or could not store the attachment. Argument: ``error``.
module_attach_failed = _signals.signal("module-attach-failed")
#: A module was detached (by us, or reported by LINE's webhook). Argument: ``bot_id``.
module_detached = _signals.signal("module-detached")
#: LINE's webhook reported an ``attached`` module event. Arguments: ``attachment`` (as stored now) and ``known``
#: (False when this app had no record: it is stored without an owner).
module_webhook_attached = _signals.signal("module-webhook-attached")
#: The module became the active channel of a chat (webhook ``activated``). Arguments: ``bot_id``, ``chat_id``,
#: ``expire_at`` (UNIX milliseconds, or None).
module_activated = _signals.signal("module-activated")
#: The module went to standby in a chat (webhook ``deactivated``). Arguments: ``bot_id``, ``chat_id``.
module_deactivated = _signals.signal("module-deactivated")
#: LINE suspended the Official Account (webhook ``botSuspended``). Argument: ``bot_id``.
module_suspended = _signals.signal("module-suspended")
#: LINE resumed the Official Account (webhook ``botResumed``). Argument: ``bot_id``.
module_resumed = _signals.signal("module-resumed")

#: A LINE WORKS sign-in completed. Arguments: ``user`` (:class:`~flask_line.WorksUser`), ``token``,
#: ``company_id`` (the client id of the company's app); with a ``@line.link_user`` hook also ``site_user``.
works_login_succeeded = _signals.signal("works-login-succeeded")
#: LINE WORKS returned an error to the sign-in callback. Arguments: ``error``, ``description``, ``company_id``.
works_login_denied = _signals.signal("works-login-denied")
#: We rejected a LINE WORKS sign-in callback. Arguments: ``error``; ``company_id`` once its company is known.
works_login_failed = _signals.signal("works-login-failed")

#: A LINE or LINE WORKS account was linked to a site user (a first sign-in through ``@line.link_user``, or the
#: ``link`` route). Arguments: ``link`` (:class:`~flask_line.AccountLink`), ``identity`` (the verified user).
account_linked = _signals.signal("account-linked")
#: A site user unlinked their LINE or LINE WORKS account. Argument: ``link`` (the removed
#: :class:`~flask_line.AccountLink`).
account_unlinked = _signals.signal("account-unlinked")

#: The site's Messaging API channel (``LINE_MESSAGING_*``). Webhook signals fire once per event (a redelivery
#: with the same ``webhookEventId`` fires nothing). Each gets ``event`` (LINE's event object, a dict) and
#: ``user_id`` (the LINE user id of ``event["source"]``, or None for a group or room without one).
#:
#: A user added the Official Account as a friend, or unblocked it (``follow``; ``event["follow"]["isUnblocked"]``).
messaging_followed = _signals.signal("messaging-followed")
#: A user blocked the Official Account (``unfollow``): pushes to them now fail with ``NotAFriend``.
messaging_unfollowed = _signals.signal("messaging-unfollowed")
#: A user sent the Official Account a message (``message``). Also ``message`` (``event["message"]``).
messaging_message = _signals.signal("messaging-message")
#: A user tapped a postback action (``postback``). Also ``data`` (``event["postback"]["data"]``).
messaging_postback = _signals.signal("messaging-postback")
#: LINE reported the bot's account link (``accountLink``). Also ``link`` (the :class:`~flask_line.AccountLink`
#: written, or None) and ``error`` (None, or the :class:`~flask_line.errors.LineError` it was refused with: LINE's
#: ``failed``, a nonce unknown, expired or used, a LINE account linked to another member).
messaging_account_link = _signals.signal("messaging-account-link")
#: A push or multicast was refused for one recipient before, or by, LINE. Arguments: ``recipient`` (what the
#: app passed), ``error`` (:class:`~flask_line.errors.LineProviderMismatch`, :class:`~flask_line.errors.NotLinkedToLine`
#: or :class:`~flask_line.errors.NotAFriend`).
messaging_push_refused = _signals.signal("messaging-push-refused")
