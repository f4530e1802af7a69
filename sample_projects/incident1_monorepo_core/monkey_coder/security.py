"""Password helpers (shadowed by the security/ package next to this file)."""

import hashlib


def hash_password(password: str, salt: str) -> str:
    return hashlib.sha256((salt + password).encode()).hexdigest()
