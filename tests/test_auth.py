"""The upload password: hashing, constant-time verification, throttling, the launcher."""

import threading
import time

import pytest

from kpi.auth import Throttle, hash_password, one_time_password, verify_password, wait_words
from ui.launch import auth_configured


def test_hash_and_verify():
    stored = hash_password("correct horse", iterations=1_000)
    assert stored.startswith("pbkdf2_sha256$1000$")
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong", stored)
    assert hash_password("x", iterations=1_000) != hash_password("x", iterations=1_000)  # salted


def test_malformed_hashes_never_match():
    for stored in ["", "plain", "md5$1$a$b", "pbkdf2_sha256$x$y$z", "pbkdf2_sha256$1$!!$!!"]:
        assert not verify_password("anything", stored)


def test_throttle_grows_per_client_and_resets():
    t = Throttle(max_delay=8)
    assert t.begin("a", now=100) == 0
    t.finish("a", False, now=100)
    assert t.wait_seconds("a", now=100) == 1
    assert t.wait_seconds("b", now=100) == 0  # another client is not slowed down
    for _ in range(2):
        t.begin("a", now=1000)
        t.finish("a", False, now=100)
    assert t.wait_seconds("a", now=100) == 4
    for _ in range(10):
        t.begin("a", now=1000)
        t.finish("a", False, now=100)
    assert t.wait_seconds("a", now=100) == 8  # capped
    assert t.wait_seconds("a", now=200) == 0
    assert t.begin("a", now=200) == 0
    t.finish("a", True, now=200)
    t.begin("a", now=200)
    t.finish("a", False, now=200)
    assert t.wait_seconds("a", now=200) == 1  # a success started the count again


def test_a_second_attempt_while_the_first_is_checked_is_refused():
    t = Throttle()
    assert t.begin("a", now=100) == 0
    assert t.begin("a", now=100) >= 1  # reserved: the same client cannot race it
    t.finish("a", True, now=100)
    assert t.begin("a", now=100) == 0


def test_six_concurrent_guesses_of_one_client_get_one_check():
    t = Throttle()
    checks = []
    barrier = threading.Barrier(6)

    def slow_check() -> bool:
        checks.append(1)
        time.sleep(0.3)
        return False

    def guess() -> None:
        barrier.wait()
        t.attempt("same-browser", slow_check)

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(checks) == 1


def test_many_clients_guessing_are_throttled_together_with_a_ceiling():
    t = Throttle(global_free=3, global_window=60, global_ceiling=2)
    for i in range(3):  # three failures from three clients
        assert t.begin(f"attacker-{i}", now=100) == 0
        t.finish(f"attacker-{i}", False, now=100)
    assert t.begin("attacker-9", now=100) == 0  # the next one may try, but now all wait
    t.finish("attacker-9", False, now=100)
    waits = [t.begin(f"fresh-{i}", now=100.5) for i in range(6)]
    assert all(0 < w <= 2 for w in waits)  # six fresh sessions at once get no check
    # however long an attacker keeps failing, the clerk never waits more than the ceiling
    now, checked = 100.0, 0
    for _ in range(200):
        now += 2
        if t.begin("attacker-9", now=now) == 0:
            checked += 1
            t.finish("attacker-9", False, now=now)
        assert t.wait_seconds("clerk", now=now) <= 2
    assert checked < 25  # the attacker itself waits longer and longer (up to 30 s)


def test_the_wait_is_never_said_as_zero_seconds():
    assert wait_words(0.2) == "1 秒"
    assert wait_words(0.0) == "1 秒"
    assert wait_words(2.01) == "3 秒"


def test_one_time_passwords_differ_and_launcher_detects_configuration():
    assert one_time_password() != one_time_password()
    assert auth_configured({"KPI_UPLOAD_PASSWORD_HASH": "pbkdf2_sha256$1$a$b"})


def test_cli_hash_password(monkeypatch, capsys):
    import io

    from etl import cli

    monkeypatch.setattr("sys.stdin", io.StringIO("long enough secret\n"))
    assert cli.main(["hash-password", "--stdin"]) == 0
    stored = capsys.readouterr().out.strip()
    assert verify_password("long enough secret", stored)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["hash-password", "--stdin"]) == 1


def test_a_broken_secrets_file_is_a_domain_error_shown_by_the_boundary(monkeypatch, tmp_path):
    """A typo in .streamlit/secrets.toml: the page says so in Japanese (ui.errors), and the
    upload stays closed; not Streamlit's generic error page."""
    import streamlit as st

    from kpi.errors import KpiError
    from ui import auth

    broken = tmp_path / "secrets.toml"
    broken.write_text('[kpi_auth]\npassword_hash = "unterminated\n', encoding="utf-8")
    files = st.config.get_option("secrets.files")
    st.config.set_option("secrets.files", [str(broken)])
    st.secrets._secrets = None
    try:
        with pytest.raises(KpiError, match=r"secrets\.toml"):
            auth._secrets()
        broken.write_text('[kpi_auth]\npassword_hash = "x"\n', encoding="utf-8")
        st.secrets._secrets = None
        assert auth._secrets()["kpi_auth"]["password_hash"] == "x"
    finally:
        st.config.set_option("secrets.files", files)
        st.secrets._secrets = None


def test_the_launcher_says_in_one_line_that_secrets_cannot_be_read(tmp_path, capsys):
    broken = tmp_path / "secrets.toml"
    broken.write_text('[kpi_auth\npassword_hash = "x"\n', encoding="utf-8")
    assert auth_configured({}, broken)  # no one-time password: the page names the problem
    err = capsys.readouterr().err
    assert str(broken) in err and "Traceback" not in err and err.count("\n") == 1
    assert not auth_configured({}, tmp_path / "missing.toml")
