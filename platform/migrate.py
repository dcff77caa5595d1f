"""Alembic, driven from code: migrations always run as the owner role."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import sqlalchemy_url


def alembic_config(owner_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("siaga112.migrations")))
    config.attributes["sqlalchemy_url"] = sqlalchemy_url(owner_url)
    return config


def upgrade(owner_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(owner_url), revision)


@cache
def heads() -> tuple[str, ...]:
    script = ScriptDirectory.from_config(alembic_config("postgresql:///unused"))
    return tuple(script.get_heads())


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at; empty when it was never migrated."""
    exists = connection.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
    if not exists:
        return ()
    return tuple(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
