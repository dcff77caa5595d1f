"""Secrets that default to a random value generated once into the data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def stored_secret(data_dir: Path, name: str, configured: str = "") -> str:
    """The configured value, or the one generated for `name` on first use and kept in data_dir/secrets."""
    if configured:
        return configured
    folder = data_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Written whole to a private file, then linked into place: two processes
    # starting at once agree on the first value and never read a half-written one.
    draft = folder / f".{name}.{os.getpid()}"
    draft.write_text(secrets.token_urlsafe(32))
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
