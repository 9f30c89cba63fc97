"""The language of the pages flask-line shows: the visitor's locale, and its translated strings."""
