"""Every key flask-line writes in the Flask session, in one table (docs/architecture.rst, "The Flask session").

Each value has one meaning and one name; nothing else in the package spells these strings.
"""

from __future__ import annotations

#: The pending authorizations of this browser: ``{state: record}`` (:mod:`flask_line._flow.pending`).
PENDING_KEY = "_line_pending"
#: States this browser completed lately: ``{state: [kind, next_url, finished_at]}`` (a refreshed callback page).
FINISHED_KEY = "_line_finished"
#: The LINE Login identity: ``{"channel", "user", "token"}``.
LOGIN_IDENTITY_KEY = "_line_login"
#: The LINE WORKS identity: ``{"channel", "user", "token"}``.
WORKS_IDENTITY_KEY = "_line_works"
#: The selected module attachment: ``{"channel", "selected": bot_id}``; it belongs to the LINE Login identity.
SELECTED_ATTACHMENT_KEY = "_line_module"
#: The site user a LINE sign-in brought: ``{"id", "via"}`` (:mod:`flask_line._accounts.linking`).
SITE_USER_KEY = "_line_site_user"
