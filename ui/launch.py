"""`make run`: start the app, with a one-time upload password when nothing else is set up.

When neither OIDC ([auth]) nor a password hash ([kpi_auth] password_hash in
.streamlit/secrets.toml, or KPI_UPLOAD_PASSWORD_HASH) is configured, a random password is
printed here and only its hash is handed to the app, as notebook servers do with tokens.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from kpi.auth import hash_password, one_time_password
from kpi.config import ROOT

SECRETS = ROOT / ".streamlit" / "secrets.toml"
ENV_HASH = "KPI_UPLOAD_PASSWORD_HASH"


def auth_configured(environ: dict[str, str], secrets_file: Path = SECRETS) -> bool:
    """True when uploads have their own sign-in. A secrets.toml that cannot be read counts as
    configured (no one-time password would help: the upload page says what is wrong), and
    the terminal says so in one line."""
    if environ.get(ENV_HASH):
        return True
    if not secrets_file.exists():
        return False
    try:
        secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
        print(
            f"注意: {secrets_file} を読み込めません（{e}）。閲覧はできますが、直すまで取込はできません。",
            file=sys.stderr,
        )
        return True
    return "auth" in secrets or bool(secrets.get("kpi_auth", {}).get("password_hash"))


def main(argv: list[str]) -> None:
    env = dict(os.environ)
    if not auth_configured(env):
        password = one_time_password()
        env[ENV_HASH] = hash_password(password)
        line = "=" * 64
        print(
            f"{line}\n 実績の取込用ワンタイムパスワード（この起動の間だけ有効）:\n\n"
            f"     {password}\n\n 恒久的な設定は README の「アクセス制御」を参照してください。\n{line}",
            flush=True,
        )
    args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), *argv]
    os.execve(sys.executable, args, env)


if __name__ == "__main__":
    main(sys.argv[1:])
