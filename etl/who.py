"""Who runs a command, as the upload history names them (実行者).

`--by` wins; without it, the full name the operating system knows (the GECOS field of the
account, e.g. 「情報 花子」), and only then the login name. A history that says 「root」 tells
the ICT division nothing (issue #10)."""

from __future__ import annotations

import getpass
import os


def operator_name() -> str:
    try:
        import pwd  # POSIX only

        full = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError, AttributeError):
        full = ""
    if full:
        return full
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "不明"
