"""Access codes and API tokens: random, shown once, stored as SHA-256.

They carry 100+ bits of randomness, so a fast hash is enough: nobody can guess
their way back from the hash, and lookups by hash stay indexed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32: no I, L, O or U, so a code read aloud or typed on a phone survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def random_code(groups: int = 5, size: int = 4) -> str:
    """e.g. 'K7QM-2XPA-9RTD-C4HW-8NJB': 20 symbols, 100 bits."""
    symbols = "".join(secrets.choice(_ALPHABET) for _ in range(groups * size))
    return "-".join(symbols[i : i + size] for i in range(0, len(symbols), size))


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(_CONFUSABLE)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_api_token() -> str:
    return "rvw_" + secrets.token_urlsafe(32)
