"""Alembic owns the schema: it migrates up and down cleanly and matches the models."""

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from siaga112.platform.app import import_models
from siaga112.platform.db import Base, sqlalchemy_url
from siaga112.platform.migrate import current_revisions, downgrade, heads, upgrade


import_models()


def _revisions(urls):
    engine = create_engine(sqlalchemy_url(urls.owner), poolclass=pool.NullPool)
    with engine.connect() as connection:
        return current_revisions(connection)


def test_there_is_exactly_one_head():
    assert len(heads()) == 1


def test_empty_database_migrates_to_head(fresh_database):
    assert _revisions(fresh_database) == ()
    upgrade(fresh_database.owner)
    assert _revisions(fresh_database) == heads()


def test_head_to_base_and_back_to_head(fresh_database):
    upgrade(fresh_database.owner)
    downgrade(fresh_database.owner, "base")
    with psycopg.connect(fresh_database.owner) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
    assert tables == []
    upgrade(fresh_database.owner)
    assert _revisions(fresh_database) == heads()


def test_models_and_migrations_agree(fresh_database):
    upgrade(fresh_database.owner)
    engine = create_engine(sqlalchemy_url(fresh_database.owner), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations; generate a revision: {diff}"
