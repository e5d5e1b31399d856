"""Blocks (types, schemas, documents, references) and variables.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "block_types",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("documentation_url", sa.String(length=500), nullable=True),
        sa.Column("import_path", sa.String(length=1000), nullable=True),
        sa.Column("is_protected", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_types")),
        sa.UniqueConstraint("slug", name=op.f("uq_block_types__slug")),
    )
    op.create_table(
        "variables",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", JSONType(), nullable=True),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variables")),
        sa.UniqueConstraint("name", name=op.f("uq_variables__name")),
    )
    op.create_table(
        "block_schemas",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("block_type_id", UUIDType(), nullable=False),
        sa.Column("checksum", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("fields", JSONType(), nullable=False),
        sa.Column("secret_fields", JSONType(), nullable=False),
        sa.Column("capabilities", JSONType(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_type_id"],
            ["block_types.id"],
            name=op.f("fk_block_schemas__block_type_id__block_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_schemas")),
        sa.UniqueConstraint(
            "block_type_id", "checksum", name=op.f("uq_block_schemas__block_type_id_checksum")
        ),
    )
    op.create_table(
        "block_documents",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("block_type_id", UUIDType(), nullable=False),
        sa.Column("block_schema_id", UUIDType(), nullable=False),
        sa.Column("data", JSONType(), nullable=False),
        sa.Column("is_anonymous", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_schema_id"],
            ["block_schemas.id"],
            name=op.f("fk_block_documents__block_schema_id__block_schemas"),
        ),
        sa.ForeignKeyConstraint(
            ["block_type_id"],
            ["block_types.id"],
            name=op.f("fk_block_documents__block_type_id__block_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_documents")),
        sa.UniqueConstraint(
            "block_type_id", "name", name=op.f("uq_block_documents__block_type_id_name")
        ),
    )
    op.create_table(
        "block_document_references",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("parent_id", UUIDType(), nullable=False),
        sa.Column("child_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["block_documents.id"],
            name=op.f("fk_block_document_references__child_id__block_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["block_documents.id"],
            name=op.f("fk_block_document_references__parent_id__block_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_document_references")),
        sa.UniqueConstraint(
            "parent_id", "name", name=op.f("uq_block_document_references__parent_id_name")
        ),
    )
    with op.batch_alter_table("block_document_references", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_block_document_references__child_id"), ["child_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("block_document_references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_document_references__child_id"))

    op.drop_table("block_document_references")
    op.drop_table("block_documents")
    op.drop_table("block_schemas")
    op.drop_table("variables")
    op.drop_table("block_types")
