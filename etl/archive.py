"""Keep every uploaded file, named by its sha256, under data/uploads/ (DESIGN 5)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive(data: bytes, uploads_dir: Path, suffix: str = ".xlsx") -> Path:
    """Write the file atomically (temp file + rename); an existing copy is kept as it is."""
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
