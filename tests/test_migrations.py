"""The Alembic migrations build exactly the schema the models describe (no drift)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from lti_tool import create_app
from lti_tool.db import Base


def test_migrations_match_the_models_and_downgrade_cleanly(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("bin/test runs `flask db upgrade` and `flask db check` on an empty PostgreSQL")
    url = f"sqlite:///{tmp_path}/migrations.sqlite"
    app = create_app({"ENVIRON": {"LTI_TOOL_SECRET_KEY": "m" * 40, "LTI_TOOL_DATABASE_URL": url}})
    with app.app_context():
        upgrade()
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []
    with app.app_context():
        downgrade(revision="base")
    assert inspect(create_engine(url)).get_table_names() == ["alembic_version"]
