"""Alembic environment: the owner role's URL comes from platform.migrate, the metadata from every context."""

from alembic import context
from sqlalchemy import create_engine, pool

from siaga112.platform.app import import_models  # the composition root knows every context's models
from siaga112.platform.db import Base

import_models()

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = create_engine(config.attributes["sqlalchemy_url"], poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          compare_type=True, compare_server_default=True, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `siaga112 db upgrade`.")
run_migrations_online()
