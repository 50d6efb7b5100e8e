"""Keep every uploaded file, named by its sha256, under data/uploads/ (DESIGN 5)."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from kpi.errors import KpiError

_REASONS = {
    errno.ENOSPC: "ディスクの空き容量が足りません",
    errno.EFBIG: "ディスクの空き容量が足りません",
    errno.EDQUOT: "ディスクの容量制限に達しています",
    errno.EACCES: "書き込みの権限がありません",
    errno.EPERM: "書き込みの権限がありません",
    errno.EROFS: "読み取り専用のディスクです",
}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive(data: bytes, uploads_dir: Path, suffix: str = ".xlsx") -> Path:
    """Write the file atomically (temp file + rename); an existing copy is kept as it is.
    A file that cannot be kept refuses the upload (nothing is stored without its file)."""
    try:
        return _write(data, uploads_dir, suffix)
    except OSError as e:
        reason = _REASONS.get(e.errno or 0, e.strerror or type(e).__name__)
        raise KpiError(
            f"取り込んだファイルの控えを {uploads_dir} に保存できないため、取り込みませんでした"
            f"（{reason}）。空き容量と書き込み権限を確認してからやり直してください。"
        ) from e


def _write(data: bytes, uploads_dir: Path, suffix: str) -> Path:
    uploads_dir.mkdir(parents=True, exist_ok=True)
    target = uploads_dir / f"{sha256_of(data)}{suffix}"
    if target.exists():
        return target
    fd, tmp = tempfile.mkstemp(dir=uploads_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
