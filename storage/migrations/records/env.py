"""Alembic environment for the records schema; the caller passes an open connection."""

from alembic import context

from storage.models import Base as _Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=_Base.metadata,
    version_table=config.get_main_option("version_table") or "alembic_version",
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
