"""Signed-in identities: who is signed in with each provider in this browser, and what belongs to them.

A :class:`~.signed_in.SignedInIdentity` (LINE Login, LINE WORKS) owns its record in an
:class:`~.storage.IdentityStorage`, its token refresh, what its sign-out clears, and the hand-off to account
linking. :class:`~.household.Identities` is the app's set of them, asked as a whole when one provider signs out.
"""
