"""Upload password: PBKDF2 hashes (stdlib), constant-time checks, and a failure throttle.

Only the ICT division may upload or roll back. When OIDC (st.login) is not configured, a
password guards those actions; its hash lives in .streamlit/secrets.toml or in the
environment (KPI_UPLOAD_PASSWORD_HASH), never the password itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """'pbkdf2_sha256$600000$<salt>$<hash>' (base64), safe to store in secrets.toml."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"{ALGORITHM}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison; a malformed stored hash never matches."""
    try:
        algorithm, iterations, salt, expected = stored.strip().split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations)
        )
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def one_time_password() -> str:
    """What `make run` prints when no authentication is configured (like a notebook token)."""
    return secrets.token_urlsafe(12)


@dataclass
class Throttle:
    """Slows down repeated failures: after each failure the next attempt must wait longer
    (1, 2, 4 … up to `max_delay` seconds). Shared by all sessions of the process, so opening
    a new browser tab does not reset it."""

    max_delay: float = 30.0
    failures: int = 0
    last_failure: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_seconds(self, now: float | None = None) -> float:
        if self.failures == 0:
            return 0.0
        now = time.monotonic() if now is None else now
        delay = min(self.max_delay, 2 ** (self.failures - 1))
        return max(0.0, self.last_failure + delay - now)

    def record(self, ok: bool, now: float | None = None) -> None:
        with self._lock:
            if ok:
                self.failures = 0
            else:
                self.failures += 1
                self.last_failure = time.monotonic() if now is None else now
