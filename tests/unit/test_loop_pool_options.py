"""The loop pool's translation from psycopg to asyncpg (server/store/loop_pool.py): statements, connection
options and JSON parameters. The pool itself runs against PostgreSQL in tests/integration/test_point_path.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from psycopg.types.json import Jsonb

from didmeta.server.store.loop_pool import Numbered, _json_text, asyncpg_connect_args, unsupported_options
from didmeta.values import dump_json


def test_positional_parameters_are_numbered_in_order() -> None:
    numbered = Numbered("SELECT a FROM t WHERE x = %s AND y LIKE %s ESCAPE '\\' AND z LIKE 'a%%' LIMIT %s")
    assert numbered.sql == "SELECT a FROM t WHERE x = $1 AND y LIKE $2 ESCAPE '\\' AND z LIKE 'a%' LIMIT $3"
    assert numbered.names is None
    assert numbered.args((1, "b", 3)) == (1, "b", 3)


def test_named_parameters_keep_one_number_per_name() -> None:
    numbered = Numbered("SELECT %(scope)s, %(name)s FROM t WHERE s = %(scope)s AND n = %(name)s AND at < %(now)s")
    assert numbered.sql == "SELECT $1, $2 FROM t WHERE s = $1 AND n = $2 AND at < $3"
    assert numbered.names == ("scope", "name", "now")
    assert numbered.args({"now": 3, "name": "n", "scope": "s", "unused": 0}) == ["s", "n", 3]


def test_mixed_parameter_styles_are_refused() -> None:
    with pytest.raises(ValueError, match="mixes"):
        Numbered("SELECT %s, %(name)s")


def test_connection_options_map_to_asyncpg() -> None:
    in_dsn = {
        "host": "/var/run/postgresql",
        "port": "5433",
        "user": "didmeta",
        "password": "p@ss word",
        "dbname": "catalogue",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ca.pem",
    }
    options = {
        **in_dsn,
        "connect_timeout": "7",
        "application_name": "didmeta-a",
        "options": "-c statement_timeout=5000 -csearch_path=public",
    }
    assert unsupported_options(options) == []
    args = asyncpg_connect_args(options)
    dsn = urlsplit(args["dsn"])
    assert dsn.scheme == "postgresql" and dsn.netloc == ""
    assert {k: v[0] for k, v in parse_qs(dsn.query).items()} == in_dsn
    assert args["timeout"] == 7.0
    assert args["server_settings"] == {
        "statement_timeout": "5000",
        "search_path": "public",
        "application_name": "didmeta-a",
    }


def test_options_without_an_asyncpg_equivalent_are_named() -> None:
    unknown = unsupported_options({"host": "h", "keepalives": "1", "gssencmode": "disable"})
    assert unknown == ["gssencmode", "keepalives"]
    assert unsupported_options({"options": "-c work_mem=64MB --geqo=off"}) == ["options"]
    assert unsupported_options({"options": "-c work_mem=64MB"}) == []


def test_json_parameters_are_sent_as_psycopg_sends_them() -> None:
    document = {"b": 1.0, "a": [1, "x"], "big": 10**20}
    assert _json_text('{"a": 1}') == '{"a": 1}'  # text: as it is
    assert _json_text(Jsonb(document, dumps=dump_json)) == dump_json(document)
    assert _json_text(Jsonb(None)) == "null"  # SQLAlchemy's JSON bind of None: JSON null, as psycopg sends it
    assert _json_text(document) == dump_json(document)
