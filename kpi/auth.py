"""Upload password: PBKDF2 hashes (stdlib), constant-time checks, and a failure throttle.

Only the ICT division may upload or roll back. When OIDC (st.login) is not configured, a
password guards those actions; its hash lives in .streamlit/secrets.toml or in the
environment (KPI_UPLOAD_PASSWORD_HASH), never the password itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
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
class _Client:
    failures: int = 0
    next_allowed: float = 0.0
    in_flight: bool = False


@dataclass
class Throttle:
    """Slows down guessing, per client and process-wide, atomically (issue #10).

    * Per client (the browser's address, else its session): after each failure the next
      attempt of that client waits longer (1, 2, 4 … `max_delay` s), and while one of its
      attempts is being checked, a second one is refused: opening six tabs at once buys
      one guess, not six.
    * Process-wide, with a ceiling: once more than `global_free` failures happened within
      `global_window` seconds (many clients guessing), every attempt is spaced by
      `global_ceiling` seconds. Nobody else's failures make a client wait longer than that,
      so no one can lock the ICT division out.
    * `begin` checks and reserves in one step under a lock; `finish` records the outcome.
    """

    max_delay: float = 30.0
    global_free: int = 10
    global_window: float = 60.0
    global_ceiling: float = 3.0
    max_clients: int = 10_000
    _clients: dict[str, _Client] = field(default_factory=dict, repr=False)
    _failures: deque[float] = field(default_factory=deque, repr=False)
    _global_next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def _now(now: float | None) -> float:
        return time.monotonic() if now is None else now

    def _wait(self, client: str, now: float) -> float:
        state = self._clients.get(client, _Client())
        wait = max(0.0, state.next_allowed - now, self._global_next - now)
        return max(wait, 1.0) if state.in_flight else wait

    def wait_seconds(self, client: str, now: float | None = None) -> float:
        """How long `client` must wait before its next attempt (0: it may try now)."""
        with self._lock:
            return self._wait(client, self._now(now))

    def begin(self, client: str, now: float | None = None) -> float:
        """0.0 and an attempt reserved for `client`, or the seconds to wait (nothing reserved)."""
        with self._lock:
            now = self._now(now)
            wait = self._wait(client, now)
            if wait > 0:
                return wait
            if len(self._clients) >= self.max_clients:  # forget clients that may try again
                for key in [k for k, c in self._clients.items() if c.next_allowed <= now]:
                    if not self._clients[key].in_flight:
                        del self._clients[key]
            self._clients.setdefault(client, _Client()).in_flight = True
            while self._failures and self._failures[0] < now - self.global_window:
                self._failures.popleft()
            if len(self._failures) >= self.global_free:
                self._global_next = now + self.global_ceiling
            return 0.0

    def finish(self, client: str, ok: bool, now: float | None = None) -> None:
        """The outcome of the attempt `begin` reserved."""
        with self._lock:
            now = self._now(now)
            state = self._clients.setdefault(client, _Client())
            state.in_flight = False
            if ok:
                del self._clients[client]
                return
            state.failures += 1
            state.next_allowed = now + min(self.max_delay, 2 ** (state.failures - 1))
            self._failures.append(now)

    def attempt(self, client: str, check: Callable[[], bool]) -> Attempt:
        """Run `check` (the password comparison) if `client` may try now."""
        wait = self.begin(client)
        if wait > 0:
            return Attempt(ok=False, checked=False, wait=wait)
        ok = False
        try:
            ok = check()
        finally:
            self.finish(client, ok)
        return Attempt(ok=ok, checked=True, wait=0.0 if ok else self.wait_seconds(client))


@dataclass(frozen=True)
class Attempt:
    ok: bool
    checked: bool  # False: refused by the throttle, the password was not looked at
    wait: float  # seconds before this client may try again


def wait_words(seconds: float) -> str:
    """「3 秒」: whole seconds, rounded up, never 0."""
    return f"{max(1, math.ceil(seconds))} 秒"
