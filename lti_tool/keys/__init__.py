"""Tool signing keys: RSA for LTI messages, Ed25519 for badge credentials."""
