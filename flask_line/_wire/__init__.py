"""LINE's wire protocol with no Flask in it: HTTP, OAuth 2.0 requests, ID tokens, key sets and cached tokens.

Everything here works on plain values (URLs, ids, secrets, dicts) and could serve any web framework, as
Authlib's ``base_client`` does; the flows in ``flask_line._login``, ``_module`` and ``_works`` call it.
An import-linter contract keeps Flask out of this package.
"""
