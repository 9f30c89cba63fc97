"""Where flask-line keeps records that outlive a browser session: module attachments and account links.

Each record kind has a small protocol and two implementations: the embedded SQLite one (standard library, the
default) and the SQLAlchemy one (``flask-line[sqlalchemy]``, for PostgreSQL and the app's own database). This
layer knows no web framework.
"""
