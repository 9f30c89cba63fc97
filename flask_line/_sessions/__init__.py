"""The Flask session kept server-side: Flask-Session set up for the app, the embedded SQLite store, id rotation."""
