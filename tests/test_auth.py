"""The upload password: hashing, constant-time verification, throttling, the launcher."""

from kpi.auth import Throttle, hash_password, one_time_password, verify_password
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


def test_throttle_grows_and_resets():
    t = Throttle(max_delay=8)
    assert t.wait_seconds(now=100) == 0
    t.record(False, now=100)
    assert t.wait_seconds(now=100) == 1
    t.record(False, now=100)
    t.record(False, now=100)
    assert t.wait_seconds(now=100) == 4
    for _ in range(10):
        t.record(False, now=100)
    assert t.wait_seconds(now=100) == 8  # capped
    assert t.wait_seconds(now=200) == 0
    t.record(True)
    assert t.failures == 0


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
