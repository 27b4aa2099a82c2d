"""audit_events.lane, audit_anchor.lane: one audit chain per lane

Every kiosk appended to one chain, so on a shared PostgreSQL each append waited for the
previous one's commit (the chain's head is read under a lock): that lock bounded how many
check-ins kiosks together could store. An event now belongs to a lane, a chain of its own
with its own seq, head, lock and purge anchor; a kiosk configured with a lane of its own
([audit] lane) never waits for another's. Existing events and the anchor are lane "",
the lane of every kiosk given none, and verify as before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 12:30:00
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rekey(batch: BatchOperations, columns: list[str]) -> None:
    """The events' primary key to ``columns`` (SQLite's is unnamed: batch mode's new
    one replaces it as it rebuilds the table)."""
    if op.get_bind().dialect.name != "sqlite":
        batch.drop_constraint("audit_events_pkey", type_="primary")
    batch.create_primary_key("audit_events_pkey", columns)


def upgrade() -> None:
    with warnings.catch_warnings():
        # SQLite: the rebuilt table's copy of seq still says it is the key on its own;
        # SQLAlchemy warns, then takes the key given here, (lane, seq), as meant.
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_audit_events' specifies")
        with op.batch_alter_table("audit_events", recreate="always") as batch:
            batch.add_column(sa.Column("lane", sa.String(63), nullable=False, server_default=""))
            _rekey(batch, ["lane", "seq"])
    with op.batch_alter_table("audit_anchor") as batch:
        batch.add_column(sa.Column("lane", sa.String(63), nullable=False, server_default=""))
        batch.create_unique_constraint("uq_audit_anchor_lane", ["lane"])


def downgrade() -> None:
    # Only lane "" fits the single chain of 0020: refuse rather than drop other lanes.
    lanes = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_events WHERE lane <> ''"))
    if lanes.scalar():
        raise RuntimeError(
            "the audit trail has events in lanes other than the default: a schema before "
            "0021 cannot hold them (export them with kiosk audit show first)"
        )
    with op.batch_alter_table("audit_anchor") as batch:
        batch.drop_constraint("uq_audit_anchor_lane", type_="unique")
        batch.drop_column("lane")
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        _rekey(batch, ["seq"])
        batch.drop_column("lane")
