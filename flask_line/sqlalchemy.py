"""SQLAlchemy storage for module attachments and account links (``pip install 'flask-line[sqlalchemy]'``).

With Flask-SQLAlchemy, the tables join your ``db.metadata`` (so ``db.create_all()`` and Alembic see them)::

    from flask_line.sqlalchemy import SQLAlchemyStorage

    line = LineOAuth(app, storage=SQLAlchemyStorage.for_flask_sqlalchemy(db))

Or with nothing but a URL (flask-line creates its two tables on first use)::

    app.config["LINE_DATABASE_URI"] = "postgresql+psycopg://app@db.internal/app"
"""

from __future__ import annotations

from ._store.sql import SQLAlchemyAccountLinks, SQLAlchemyAttachmentStore, SQLAlchemyStorage, line_tables

__all__ = ["SQLAlchemyAccountLinks", "SQLAlchemyAttachmentStore", "SQLAlchemyStorage", "line_tables"]
