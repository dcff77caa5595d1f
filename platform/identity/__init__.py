"""People, roles and the principal of a request; OAuth 2 / OpenID Connect (authlib)."""
