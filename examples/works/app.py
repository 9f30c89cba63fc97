"""LINE WORKS sign-in for an intranet page, for the site's own company and for two customer companies side by
side (each company adds the app in its own LINE WORKS Developer Console: its own client id and secret).

With LINE_WORKS_CLIENT_ID / LINE_WORKS_CLIENT_SECRET set it talks to LINE WORKS for one company; without them it
uses the local emulator at LINE_EMULATOR_URL (default http://127.0.0.1:5005), where ``emulate`` creates the two
customer companies (``make demo EXAMPLE=works``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, render_template, request, url_for

from flask_line import LineOAuth, current_works_user, works_login_required
from flask_line.demo import DEMO_WORKS_CLIENT_ID, DEMO_WORKS_CLIENT_SECRET
from flask_line.testing import EmulatedWorksMember

line = LineOAuth()

#: The customer companies: name, LINE WORKS domain, their app's client id and secret (in production these come
#: from your tenant database, as each company registered the app), and, for the emulator, one member each.
COMPANIES = {
    "acme": ("Acme Corp", "20000001", "works-acme", "emulated-secret-of-acme"),
    "globex": ("Globex", "30000001", "works-globex", "emulated-secret-of-globex"),
}
MEMBERS = {
    "acme": EmulatedWorksMember("c0ffee00-0000-4000-8000-000000000101", "ann.kim@acme.example", "Kim", "Ann"),
    "globex": EmulatedWorksMember("c0ffee00-0000-4000-8000-000000000201", "min.lee@globex.example", "Lee", "Min"),
}


def company_of_request() -> str:
    """The company a request is for: ``/companies/<company>/``, ``?company=`` (flask-line's own routes keep it),
    else the site's own LINE WORKS (the company named "default")."""
    return (request.view_args or {}).get("company") or request.args.get("company") or "default"


def create_app() -> Flask:
    """Build the LINE WORKS example from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))  # where its SQLite files go
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["LINE_WORKS_SCOPES"] = "openid profile email"
    app.config["LINE_URL_VALUES"] = ["company"]  # what the company loader reads: kept on every line.* URL
    if os.environ.get("LINE_WORKS_CLIENT_ID"):
        app.config["LINE_WORKS_CLIENT_ID"] = os.environ["LINE_WORKS_CLIENT_ID"]
        app.config["LINE_WORKS_CLIENT_SECRET"] = os.environ.get("LINE_WORKS_CLIENT_SECRET")
        companies: dict[str, Any] = {}
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config["LINE_WORKS_CLIENT_ID"] = DEMO_WORKS_CLIENT_ID
        app.config["LINE_WORKS_CLIENT_SECRET"] = DEMO_WORKS_CLIENT_SECRET
        companies = COMPANIES
    app.config["LINE_WORKS_COMPANIES"] = {
        slug: {"client_id": client_id, "client_secret": secret, "domain": domain}
        for slug, (_name, domain, client_id, secret) in companies.items()
    }
    line.init_app(app)
    line.works_company_loader(company_of_request)

    def page(template: str, company: str | None) -> str:
        here = {"company": company} if company else {}
        return render_template(
            template,
            user=current_works_user,
            company_name=COMPANIES[company][0] if company else None,
            companies={slug: name for slug, (name, *_rest) in companies.items()},
            home_url=url_for("company_home", **here) if company else url_for("home"),
            intranet_url=url_for("company_intranet", **here) if company else url_for("intranet"),
        )

    def known(company: str) -> str:
        if company not in companies:
            abort(404)
        return company

    @app.get("/")
    def home() -> str:
        return page("home.html", None)

    @app.get("/intranet")
    @works_login_required
    def intranet() -> str:
        return page("intranet.html", None)

    @app.get("/companies/<company>/")
    def company_home(company: str) -> str:
        return page("home.html", known(company))

    @app.get("/companies/<company>/intranet")
    @works_login_required
    def company_intranet(company: str) -> str:
        return page("intranet.html", known(company))

    return app


def emulate(platform: Any) -> None:
    """Give the LINE WORKS emulator both customer companies (in production, each adds the app in its own Console)."""
    for slug, (name, domain, client_id, secret) in COMPANIES.items():
        platform.add_works_company(domain, [MEMBERS[slug]], name=name, client_id=client_id, client_secret=secret)


if __name__ == "__main__":
    create_app().run(port=5000)
