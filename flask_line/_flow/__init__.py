"""What every browser flow shares: the authorization dance, pending authorizations, sign-in slots, redirects.

The product flows (``_login``, ``_module``, ``_works``) subclass :class:`~.authorization.AuthorizationFlow`;
this package owns state, nonce, PKCE verifiers, the ``next`` target, signals and logging for all of them.
"""
