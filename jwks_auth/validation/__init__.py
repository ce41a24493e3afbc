"""Token validation: the compact JWS, claim rules, scopes, the validator, the verified-token cache and
RFC 7662 introspection."""
