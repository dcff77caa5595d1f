"""The two roles the bootstrap creates: an owner that migrates, a runtime role that cannot bypass anything."""

import psycopg
import pytest

from siaga112.platform.db import bootstrap


def _role(conn, name):
    return conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", (name,)
    ).fetchone()


def test_runtime_role_is_not_superuser_owner_or_bypassrls(services):
    urls = services.urls
    with psycopg.connect(urls.runtime) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == urls.runtime_role
        assert _role(conn, urls.runtime_role) == (False, False, False, False)
        owned = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = current_user").fetchone()[0]
        assert owned == 0
        tables_owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert tables_owners == [(urls.owner_role,)]


def test_owner_role_is_not_superuser(services):
    with psycopg.connect(services.urls.owner) as conn:
        assert _role(conn, services.urls.owner_role) == (False, False, False, False)


def test_runtime_role_reads_but_cannot_change_the_region_registry(services):
    with psycopg.connect(services.urls.runtime) as conn:
        assert conn.execute("SELECT count(*) FROM regions").fetchone()[0] == 514
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE regions SET name = 'x' WHERE code = '33.75'")


def test_runtime_role_cannot_create_tables(services):
    with psycopg.connect(services.urls.runtime) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE sneaky (id int)")


def test_bootstrap_runs_again_without_harm(services):
    bootstrap(services.urls)
    bootstrap(services.urls)
    with psycopg.connect(services.urls.runtime) as conn:
        assert conn.execute("SELECT count(*) FROM provinces").fetchone()[0] == 38
