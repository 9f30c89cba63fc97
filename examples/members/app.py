"""A site with its own users: sign up or sign in with LINE, link LINE to an existing account, unlink it, and a
LINE WORKS sign-in for staff. Flask-SQLAlchemy keeps the users (and flask-line's tables, in the same database);
Flask-Login keeps who is signed in.

Without LINE credentials in the environment it uses the local LINE emulator at LINE_EMULATOR_URL (default
http://127.0.0.1:5005): ``make demo EXAMPLE=members`` starts both.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from flask_line import LineOAuth, LineUser, WorksUser, errors
from flask_line.demo import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, DEMO_WORKS_CLIENT_ID, DEMO_WORKS_CLIENT_SECRET
from flask_line.sqlalchemy import SQLAlchemyStorage

db = SQLAlchemy()
login_manager = LoginManager()
# flask-line's two tables join db.metadata (Flask-Migrate sees them), and a first sign-in's member and link are
# written in one transaction of db.session.
line = LineOAuth(storage=SQLAlchemyStorage.for_flask_sqlalchemy(db))


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A member of this site. People who signed up with LINE have no password until they set one."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    email = db.Column(db.String(200), unique=True)
    password_hash = db.Column(db.String(200))
    picture_url = db.Column(db.String(500))
    is_staff = db.Column(db.Boolean, nullable=False, default=False)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in member; with the database away, a 503 page (whose own header then shows nobody)."""
    if g.get("database_away"):
        return None
    try:
        return db.session.get(User, int(user_id))
    except DBAPIError:
        db.session.rollback()
        g.database_away = True
        raise ServiceUnavailable(retry_after=5) from None


@line.link_user
def user_for(identity: LineUser | WorksUser, linked_user_id: str | None) -> User | None:
    """The one hook: a LINE (or LINE WORKS) identity becomes a member, found by its link or signed up now."""
    if linked_user_id is not None:
        return db.session.get(User, int(linked_user_id))
    if isinstance(identity, WorksUser):
        email = identity.email.lower() if identity.email else None
        if email and db.session.scalar(db.select(User).filter_by(email=email)) is not None:
            # Never link by email alone: the owner signs in with their password and links LINE WORKS there.
            flash("A member already uses this email: sign in with your password, then link LINE WORKS on My account.")
            return None  # a refused sign-in (SignInRefused): the handler below shows the site's page
        user = User(name=identity.name or "Staff member", email=email, is_staff=True)
    else:
        user = User(name=identity.display_name or "LINE user", picture_url=identity.picture_url)
    db.session.add(user)  # no commit: flask-line commits the member and the link together, or neither
    return user


def create_tables(app: Flask) -> None:
    """Create the members table and flask-line's tables: a deploy step (``flask --app ... create-tables``), run
    once, never in every worker. With migrations, ``flask db upgrade`` (Flask-Migrate) does this instead."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two deploys at once wait for each other instead of racing to create the same types.
            connection.execute(db.text("SELECT pg_advisory_xact_lock(hashtext('members-create-tables'))"))
        db.metadata.create_all(connection)


def create_app() -> Flask:
    """Build the members site from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///members.sqlite3")
    # A restarted database costs no failed request: each pooled connection is checked before use.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app.config["LINE_WORKS_SCOPES"] = "openid profile email"
    if os.environ.get("LINE_LOGIN_CHANNEL_ID"):
        for key in (
            "LINE_LOGIN_CHANNEL_ID",
            "LINE_LOGIN_CHANNEL_SECRET",
            "LINE_WORKS_CLIENT_ID",
            "LINE_WORKS_CLIENT_SECRET",
        ):
            app.config[key] = os.environ.get(key)
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config.update(
            LINE_LOGIN_CHANNEL_ID=DEMO_CHANNEL_ID,
            LINE_LOGIN_CHANNEL_SECRET=DEMO_CHANNEL_SECRET,
            LINE_WORKS_CLIENT_ID=DEMO_WORKS_CLIENT_ID,
            LINE_WORKS_CLIENT_SECRET=DEMO_WORKS_CLIENT_SECRET,
        )
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "sign_in"
    line.init_app(app)
    app.cli.command("create-tables")(lambda: create_tables(app))

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.route("/signup", methods=["GET", "POST"])
    def sign_up() -> str | Response:
        if request.method == "POST":
            email = request.form["email"].strip().lower()
            if db.session.scalar(db.select(User).filter_by(email=email)) is not None:
                flash("That email already has an account: sign in instead.")
                return redirect(url_for("sign_in"))
            user = User(name=request.form["name"].strip() or email, email=email)
            user.password_hash = generate_password_hash(request.form["password"])
            db.session.add(user)
            db.session.commit()
            login_user(user)
            return redirect(url_for("account"))
        return render_template("signup.html")

    @app.route("/signin", methods=["GET", "POST"])
    def sign_in() -> str | Response:
        if request.method == "POST":
            user = db.session.scalar(db.select(User).filter_by(email=request.form["email"].strip().lower()))
            if (
                user is None
                or not user.password_hash
                or not check_password_hash(user.password_hash, request.form["password"])
            ):
                flash("Wrong email or password.")
                return redirect(url_for("sign_in"))
            login_user(user)
            return redirect(url_for("account"))
        return render_template("signin.html")

    @app.get("/account")
    @login_required
    def account() -> str:
        return render_template("account.html", links=_links_of(current_user))

    @app.errorhandler(403)
    def forbidden(error: Exception) -> tuple[str, int]:
        # Every page a visitor can reach looks like the site, a refusal too.
        return render_template("forbidden.html"), 403

    @app.errorhandler(errors.SignInRefused)
    def sign_in_refused(error: errors.SignInRefused) -> tuple[str, int]:
        return render_template("problem.html", title="Sign-in refused", message=None), error.status_code

    @app.errorhandler(ServiceUnavailable)
    def database_away(error: ServiceUnavailable) -> tuple[str, int, dict[str, str]]:
        message = "The members database cannot be reached right now. Please try again in a moment."
        page = render_template("problem.html", title="Please try again in a moment", message=message)
        return page, 503, {"Retry-After": "5"}

    @app.get("/staff")
    @login_required
    def staff() -> str:
        if not current_user.is_staff:
            abort(403)
        return render_template("staff.html")

    return app


def _links_of(user: Any) -> dict[str, Any]:
    """The member's LINE and LINE WORKS links, for the account page."""
    return {provider: line.account_links.for_user(provider, str(user.id)) for provider in ("line", "works")}


if __name__ == "__main__":
    create_app().run(port=5000)
