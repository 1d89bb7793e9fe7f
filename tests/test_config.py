import pytest

from lti_tool import create_app
from lti_tool.config import ConfigError, load_config

GOOD = {"LTI_TOOL_SECRET_KEY": "x" * 40}


def test_missing_secret_names_the_setting(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config({}, str(tmp_path))
    assert "LTI_TOOL_SECRET_KEY is not set" in str(err.value)


def test_secret_can_come_from_the_instance_folder(tmp_path):
    (tmp_path / "secret_key").write_text("s" * 48)
    assert load_config({}, str(tmp_path))["SECRET_KEY"] == "s" * 48


@pytest.mark.parametrize("name,value,expected", [
    ("LTI_TOOL_SECRET_KEY", "short", "too short"),
    ("LTI_TOOL_BASE_URL", "http://tool.example.org", "must use https"),
    ("LTI_TOOL_BASE_URL", "tool.example.org", "is not a bare URL"),
    ("LTI_TOOL_KEY_OVERLAP_DAYS", "seven", "is not a whole number"),
    ("LTI_TOOL_DATABASE_URL", "mysql://x/y", "must be a sqlite"),
    ("LTI_TOOL_ENV", "staging", "is not one of"),
    ("LTI_TOOL_TIMEZONE", "Mars/Olympus", "is not a known time zone"),
    ("LTI_TOOL_GRADES_LEASE_SECONDS", "5", "at least twice"),
])
def test_bad_settings_are_named(tmp_path, name, value, expected):
    with pytest.raises(ConfigError) as err:
        load_config({**GOOD, name: value}, str(tmp_path))
    assert name in str(err.value) and expected in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config({"LTI_TOOL_BASE_URL": "ftp://x", "LTI_TOOL_ENV": "x"}, str(tmp_path))
    message = str(err.value)
    assert "SECRET_KEY" in message and "BASE_URL" in message and "ENV" in message


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path):
    config = load_config(GOOD, str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/lti_tool.sqlite"
    assert config["TOOL_BASE_URL"] == "http://127.0.0.1:5000"


def test_postgres_urls_use_psycopg3(tmp_path):
    config = load_config({**GOOD, "LTI_TOOL_DATABASE_URL": "postgres://u:p@h/db"}, str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@h/db"


def test_factory_does_not_touch_the_database(tmp_path):
    db_file = tmp_path / "never.sqlite"
    create_app({"ENVIRON": {**GOOD, "LTI_TOOL_DATABASE_URL": f"sqlite:///{db_file}"}})
    assert not db_file.exists()
