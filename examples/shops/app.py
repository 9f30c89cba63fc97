"""A platform of shops, each with its own LINE Login channel linked to its own LINE Official Account.

Visitors sign up per shop with ``bot_prompt`` (the shop's Official Account is offered as a friend); being signed
in at one shop says nothing at another. The shop travels in the URL (``/shops/<shop>/``, and ``?shop=`` on
flask-line's own routes): ``LINE_URL_VALUES`` names it, so every link flask-line builds keeps it, and a
bookmarked member card signs in at its own shop. The shops' channels are in ``SHOPS`` here; a real platform keeps
them in its own table and the ``channel_loader`` looks them up. ``make demo EXAMPLE=shops`` runs it against the
emulator, which accepts every shop's channel (see ``emulate``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, render_template, request

from flask_line import LineOAuth, LoginChannel, current_line_user, line_login_required

line = LineOAuth()

#: Each shop's name, LINE Login channel and provider (ids and secrets of the emulator; real ones come from the
#: LINE Developers Console). Each shop is its own company here: its own provider, so members are not shared.
SHOPS = {
    "tea": ("Brown's Tea House", "1650000101", "emulated-secret-of-the-tea-house", "brown-tea-house"),
    "cake": ("Cony's Cake Shop", "1650000102", "emulated-secret-of-the-cake-shop", "cony-cake-shop"),
}


def shop_from_request() -> str | None:
    """The shop a request is for: the ``/shops/<shop>/`` path, or ``?shop=`` (LINE Login's own routes)."""
    return (request.view_args or {}).get("shop") or request.args.get("shop")


def create_app() -> Flask:
    """Build the platform app."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
    app.config["LINE_URL_VALUES"] = ["shop"]  # what the channel_loader reads: kept on every line.* URL
    line.init_app(app)

    @line.channel_loader
    def shop_channel() -> LoginChannel | None:
        shop = shop_from_request()
        if shop not in SHOPS:
            return None  # "this shop does not use LINE Login"
        _name, channel_id, secret, provider = SHOPS[shop]
        # No callback URL: the callback completes at the shop that started the sign-in.
        return LoginChannel(channel_id, secret, provider=provider, bot_prompt="aggressive")

    @app.get("/")
    def home() -> str:
        return render_template("home.html", shops=SHOPS)

    @app.get("/shops/<shop>/")
    def shop_page(shop: str) -> str:
        return render_template("shop.html", shop=shop, name=_name_of(shop), user=current_line_user)

    @app.get("/shops/<shop>/card")
    @line_login_required
    def member_card(shop: str) -> str:
        return render_template("card.html", shop=shop, name=_name_of(shop), user=current_line_user)

    return app


def _name_of(shop: str) -> str:
    if shop not in SHOPS:
        abort(404)
    return SHOPS[shop][0]


def emulate(platform: Any) -> None:
    """Give the LINE emulator every shop's channel (in production, each is a channel in the Console)."""
    for _name, channel_id, secret, _provider in SHOPS.values():
        platform.add_channel(channel_id, secret)


if __name__ == "__main__":
    create_app().run(port=5000)
