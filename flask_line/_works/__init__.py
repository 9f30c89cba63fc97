"""LINE WORKS: user sign-in (OAuth 2.0 + OpenID Connect) and the service-account JWT grant."""
