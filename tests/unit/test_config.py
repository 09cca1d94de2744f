"""Server configuration (didmeta.server.config): defaults, files, environment, flags, validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from didmeta.errors import InvalidArgument
from didmeta.server.config import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No DIDMETA_* variable of the caller's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("DIDMETA_"):
            monkeypatch.delenv(name)
    yield


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- defaults ----------------------------------------------------------------------------------------------
def test_defaults_are_the_embedded_sqlite_with_did_column_and_json() -> None:
    settings = load_settings()
    assert settings.database == "sqlite:///./didmeta.db"
    assert settings.plugins == ["DID_COLUMN", "JSON"]
    assert settings.listen == "127.0.0.1:50051"
    assert settings.auth.mode == "local"
    assert settings.tls is None


# --- files ---------------------------------------------------------------------------------------------------
def test_toml_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "didmeta.toml",
        'database = "sqlite:///from-toml.db"\nplugins = ["json"]\nbatch_size = 7\n'
        '[plugin_options.json]\nkeys = ["a", "b"]\n[auth]\nlocal_account = "alice"\n',
    )
    settings = load_settings(config)
    assert settings.database == "sqlite:///from-toml.db"
    assert settings.plugins == ["DID_COLUMN", "JSON"]
    assert settings.batch_size == 7
    assert settings.plugin_options == {"JSON": {"keys": ["a", "b"]}}
    assert settings.auth.local_account == "alice"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_yaml_file(tmp_path: Path, suffix: str) -> None:
    config = write(
        tmp_path / f"didmeta{suffix}",
        "database: sqlite:///from-yaml.db\nplugins: [JSON]\nlog_format: text\n"
        "plugin_options:\n  json:\n    keys: [x]\n",
    )
    settings = load_settings(config)
    assert settings.database == "sqlite:///from-yaml.db"
    assert settings.plugins == ["DID_COLUMN", "JSON"]
    assert settings.log_format == "text"
    assert settings.plugin_options == {"JSON": {"keys": ["x"]}}


def test_config_file_from_didmeta_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", 'database = "sqlite:///via-env-path.db"\n')
    monkeypatch.setenv("DIDMETA_CONFIG", str(config))
    assert load_settings().database == "sqlite:///via-env-path.db"


def test_explicit_config_file_wins_over_didmeta_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_CONFIG", str(write(tmp_path / "a.toml", 'database = "sqlite:///a.db"\n')))
    assert load_settings(write(tmp_path / "b.toml", 'database = "sqlite:///b.db"\n')).database == "sqlite:///b.db"


def test_file_settings_do_not_leak_into_the_next_load(tmp_path: Path) -> None:
    load_settings(write(tmp_path / "c.toml", 'database = "sqlite:///once.db"\n'))
    assert load_settings().database == "sqlite:///./didmeta.db"


# --- precedence --------------------------------------------------------------------------------------------
def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", 'database = "sqlite:///file.db"\nbatch_size = 7\n')
    monkeypatch.setenv("DIDMETA_DATABASE", "sqlite:///env.db")
    settings = load_settings(config)
    assert settings.database == "sqlite:///env.db"
    assert settings.batch_size == 7  # what the environment does not set still comes from the file


def test_flags_override_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", 'database = "sqlite:///file.db"\n')
    monkeypatch.setenv("DIDMETA_DATABASE", "sqlite:///env.db")
    monkeypatch.setenv("DIDMETA_LISTEN", "127.0.0.1:6000")
    settings = load_settings(config, database="sqlite:///flag.db", listen=None)
    assert settings.database == "sqlite:///flag.db"
    assert settings.listen == "127.0.0.1:6000"  # a flag left unset (None) does not hide the environment


def test_nested_environment_merges_with_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", '[plugin_options.json]\nkeys = ["a"]\n')
    monkeypatch.setenv("DIDMETA_PLUGIN_OPTIONS__MONGO__URL", "mongodb://example")
    assert load_settings(config).plugin_options == {"JSON": {"keys": ["a"]}, "MONGO": {"url": "mongodb://example"}}


# --- DIDMETA_PLUGINS ---------------------------------------------------------------------------------------
def test_plugins_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_PLUGINS", " did_column , json ,mongo")
    assert load_settings().plugins == ["DID_COLUMN", "JSON", "MONGO"]


def test_plugins_from_a_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_PLUGINS", '["json", "elastic"]')
    assert load_settings().plugins == ["DID_COLUMN", "JSON", "ELASTIC"]


def test_plugins_flag_as_a_comma_separated_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_PLUGINS", "JSON")
    assert load_settings(plugins="MONGO,JSON").plugins == ["DID_COLUMN", "MONGO", "JSON"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["JSON", "DID_COLUMN"], ["DID_COLUMN", "JSON"]),
        (["MONGO", "did_column", "JSON"], ["DID_COLUMN", "MONGO", "JSON"]),
        (["JSON"], ["DID_COLUMN", "JSON"]),
        ([], ["DID_COLUMN"]),
    ],
)
def test_did_column_is_forced_first(given: list[str], expected: list[str]) -> None:
    assert load_settings(plugins=given).plugins == expected


def test_plugin_names_are_case_insensitive_and_upper_cased() -> None:
    assert load_settings(plugins=["Json", "postgres_json"]).plugins == ["DID_COLUMN", "JSON", "POSTGRES_JSON"]


# --- bad values ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "bogus = 1\n",  # unknown setting
        'plugins = ["JSON", "json"]\n',  # a plugin twice
        'log_format = "xml"\n',
        "grace_seconds = -1\n",
        "batch_size = 0\n",
        "batch_size = 100000\n",
        "max_message_bytes = 1024\n",
        "listen = 5\n",
        '[auth]\nmode = "magic"\n',
        "[tls]\n",  # cert and key files are required
    ],
)
def test_bad_values_in_the_file_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValidationError):
        load_settings(write(tmp_path / "bad.toml", text))


@pytest.mark.parametrize("listen", ["localhost", "127.0.0.1", "127.0.0.1:port", "127.0.0.1:70000", ":5", ""])
def test_listen_must_be_host_and_port(listen: str) -> None:
    with pytest.raises(ValidationError):
        load_settings(listen=listen)


@pytest.mark.parametrize("listen", ["127.0.0.1:0", "0.0.0.0:50051", "[::1]:5000", "localhost:1"])
def test_valid_listen_addresses(listen: str) -> None:
    assert load_settings(listen=listen).listen == listen


def test_bad_environment_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_BATCH_SIZE", "zero")
    with pytest.raises(ValidationError):
        load_settings()


def test_bad_json_plugin_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_PLUGINS", '["JSON"')
    with pytest.raises(ValidationError):
        load_settings()


def test_unparseable_toml_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as info:
        load_settings(write(tmp_path / "broken.toml", "database = [unclosed\n"))
    assert "broken.toml" in info.value.message


def test_unparseable_yaml_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        load_settings(write(tmp_path / "broken.yaml", "database: [unclosed\n"))


def test_yaml_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        load_settings(write(tmp_path / "list.yaml", "- a\n- b\n"))


def test_missing_config_file_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as info:
        load_settings(tmp_path / "absent.toml")
    assert "absent.toml" in info.value.message


# --- DIDMETA_* variables (issue 10) ------------------------------------------------------------------------------
def test_an_unknown_didmeta_variable_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_LISTN", "127.0.0.1:1")
    with pytest.raises(InvalidArgument) as info:
        load_settings()
    assert "DIDMETA_LISTN" in info.value.message and "did you mean DIDMETA_LISTEN" in info.value.message


def test_an_unknown_nested_setting_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIDMETA_PLUGIN_OPTION__MONGO__URL", "mongodb://x")
    with pytest.raises(InvalidArgument) as info:
        load_settings()
    assert "DIDMETA_PLUGIN_OPTION__MONGO__URL" in info.value.message


def test_known_variables_are_not_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from didmeta.environment import KNOWN_VARIABLES

    for name in KNOWN_VARIABLES:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("DIDMETA_CONFIG", str(write(tmp_path / "c.toml", 'log_level = "DEBUG"\n')))
    monkeypatch.setenv("DIDMETA_PLUGIN_OPTIONS__MONGO__URL", "mongodb://127.0.0.1:1/")
    monkeypatch.setenv("DIDMETA_BATCH_SIZE", "7")
    settings = load_settings()
    assert settings.log_level == "DEBUG" and settings.batch_size == 7
    assert {"DIDMETA_SERVER", "DIDMETA_TIMEOUT", "DIDMETA_CONFIG", "DIDMETA_TOKEN", "DIDMETA_CACHE"} <= set(
        KNOWN_VARIABLES
    )


def test_every_didmeta_variable_the_repository_reads_is_known_or_a_setting() -> None:
    """A grep of the sources, so that the one list stays complete when a new variable is read somewhere."""
    import re

    from didmeta.environment import KNOWN_VARIABLES
    from didmeta.server.config import Settings

    # os.environ["X"], os.environ.get("X"), os.getenv("X"), click's envvar="X", shell ${X...} and $X.
    reads = re.compile(r"""(?:environ\[|environ\.get\(|getenv\(|envvar=|\$\{|\$)["']?(DIDMETA_[A-Z0-9_]*[A-Z0-9])""")
    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for pattern in ("*.py", "*.sh", "Makefile", "*.md", "*.toml", "*.yaml"):
        for path in root.rglob(pattern):
            if ".venv" in path.parts or "gen" in path.parts:
                continue
            found |= set(reads.findall(path.read_text(errors="replace")))
    settings = {name.upper() for name in Settings.model_fields}
    unknown = {
        name
        for name in found
        if name not in KNOWN_VARIABLES and name[len("DIDMETA_") :].split("__", 1)[0] not in settings
    }
    assert not unknown, f"read somewhere but neither a setting nor in didmeta.environment.KNOWN_VARIABLES: {unknown}"
