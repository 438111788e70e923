"""Login, access tokens signed with the gateway's Ed25519 key, logout and revocation."""
