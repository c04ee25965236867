"""records of the Single Window stand-in: consumers, inventories, tax bills, enterprises,
declarations, print/export applications, vehicle filings, appointments

Revision ID: r0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consumers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("customs_code", sa.String(length=10), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
        sa.UniqueConstraint("customs_code"),
    )
    op.create_table(
        "applications",
        sa.Column("app_no", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("app_no"),
    )
    op.create_index(
        "ix_applications_enterprise", "applications", ["enterprise_id", "applied_at"], unique=False
    )
    op.create_table(
        "appointments",
        sa.Column("business_no", sa.String(length=30), nullable=False),
        sa.Column("appointment_no", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.String(length=40), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("flag", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("business_no"),
    )
    op.create_index(
        "ix_appointments_enterprise", "appointments", ["enterprise_id", "entered_on"], unique=False
    )
    op.create_table(
        "declarations",
        sa.Column("entry_no", sa.String(length=18), nullable=False),
        sa.Column("enterprise_id", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=1), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=True),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("entry_no"),
    )
    op.create_index(
        "ix_declarations_enterprise", "declarations", ["enterprise_id", "declared_on"], unique=False
    )
    op.create_table(
        "inventories",
        sa.Column("pre_entry_no", sa.String(length=18), nullable=False),
        sa.Column("inventory_no", sa.String(length=18), nullable=False),
        sa.Column("order_no", sa.String(length=40), nullable=False),
        sa.Column("consumer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=60), nullable=False),
        sa.Column("merchant", sa.String(length=60), nullable=False),
        sa.Column("port", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dutiable_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["consumers.id"],
        ),
        sa.PrimaryKeyConstraint("pre_entry_no"),
        sa.UniqueConstraint("inventory_no"),
    )
    op.create_index(
        "ix_inventories_consumer", "inventories", ["consumer_id", "stored_at"], unique=False
    )
    op.create_table(
        "vehicle_filings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=40), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("vehicle_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_vehicle_filings_enterprise", "vehicle_filings", ["enterprise_id", "plate"], unique=False
    )
    op.create_table(
        "application_items",
        sa.Column("app_no", sa.String(length=20), nullable=False),
        sa.Column("entry_no", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_no"],
            ["applications.app_no"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_no"],
            ["declarations.entry_no"],
        ),
        sa.PrimaryKeyConstraint("app_no", "entry_no"),
    )
    op.create_table(
        "inventory_items",
        sa.Column("pre_entry_no", sa.String(length=18), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_entry_no"],
            ["inventories.pre_entry_no"],
        ),
        sa.PrimaryKeyConstraint("pre_entry_no", "seq"),
    )
    op.create_table(
        "tax_bills",
        sa.Column("tax_no", sa.String(length=20), nullable=False),
        sa.Column("inventory_no", sa.String(length=18), nullable=False),
        sa.Column("consumer_id", sa.String(length=40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("port", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["consumers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inventory_no"],
            ["inventories.inventory_no"],
        ),
        sa.PrimaryKeyConstraint("tax_no"),
    )
    op.create_index(
        "ix_tax_bills_consumer", "tax_bills", ["consumer_id", "created_at"], unique=False
    )
    op.create_table(
        "tax_bill_items",
        sa.Column("tax_no", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("dutiable_fen", sa.BigInteger(), nullable=False),
        sa.Column("tariff_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tariff_fen", sa.BigInteger(), nullable=False),
        sa.Column("consumption_rate_bp", sa.Integer(), nullable=False),
        sa.Column("consumption_fen", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("vat_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tax_no"],
            ["tax_bills.tax_no"],
        ),
        sa.PrimaryKeyConstraint("tax_no", "seq"),
    )


def downgrade() -> None:
    op.drop_table("tax_bill_items")
    op.drop_index("ix_tax_bills_consumer", table_name="tax_bills")
    op.drop_table("tax_bills")
    op.drop_table("inventory_items")
    op.drop_table("application_items")
    op.drop_index("ix_vehicle_filings_enterprise", table_name="vehicle_filings")
    op.drop_table("vehicle_filings")
    op.drop_index("ix_inventories_consumer", table_name="inventories")
    op.drop_table("inventories")
    op.drop_index("ix_declarations_enterprise", table_name="declarations")
    op.drop_table("declarations")
    op.drop_index("ix_appointments_enterprise", table_name="appointments")
    op.drop_table("appointments")
    op.drop_index("ix_applications_enterprise", table_name="applications")
    op.drop_table("applications")
    op.drop_table("enterprises")
    op.drop_table("consumers")
