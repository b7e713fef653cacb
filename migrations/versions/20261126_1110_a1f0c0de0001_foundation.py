"""Foundation: territories, accounts, audit trail, listings and the notification outbox.

Revision ID: a1f0c0de0001
Revises: (none)
Create Date: 2026-11-26 12:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = 'a1f0c0de0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_meta',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_meta'))
    )
    op.create_table('territories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_name', sa.String(length=200), nullable=False),
    sa.Column('department_code', sa.String(length=3), nullable=True),
    sa.Column('department_name', sa.String(length=100), nullable=True),
    sa.Column('region_code', sa.String(length=3), nullable=True),
    sa.Column('region_name', sa.String(length=100), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('coordinates_source', sa.String(length=30), nullable=True),
    sa.Column('epci_code', sa.String(length=9), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_territories')),
    sa.UniqueConstraint('code', name=op.f('uq_territories_code'))
    )
    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_territories_epci_code'), ['epci_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_territories_search_name'), ['search_name'], unique=False)

    op.create_table('territory_postcodes',
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], name=op.f('fk_territory_postcodes_territory_id_territories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('territory_id', 'postcode', name=op.f('pk_territory_postcodes'))
    )
    with op.batch_alter_table('territory_postcodes', schema=None) as batch_op:
        batch_op.create_index('ix_territory_postcodes_postcode', ['postcode'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("role IN ('admin', 'technician', 'official', 'actor')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], name=op.f('fk_users_territory_id_territories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_territory_id'), ['territory_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    op.create_table('listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('subcategory', sa.String(length=60), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('available_until', sa.Date(), nullable=True),
    sa.Column('recurring', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('inexhaustible', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('remote_possible', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('logistics', sa.String(length=10), server_default='both', nullable=False),
    sa.Column('max_distance_km', sa.Float(), nullable=True),
    sa.Column('conditions', sa.String(length=20), server_default='free', nullable=False),
    sa.Column('deposit_eur', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('insurance_required', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('qualified_operator_required', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('location_source', sa.String(length=20), server_default='territory', nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('withdrawal_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('offer', 'need')", name=op.f('ck_listings_kind')),
    sa.CheckConstraint("status IN ('draft', 'published', 'reserved', 'fulfilled', 'expired', 'withdrawn')", name=op.f('ck_listings_status')),
    sa.CheckConstraint('available_until IS NULL OR available_from IS NULL OR available_until >= available_from', name=op.f('ck_listings_window_order')),
    sa.CheckConstraint('deposit_eur IS NULL OR deposit_eur >= 0', name=op.f('ck_listings_deposit_not_negative')),
    sa.CheckConstraint('max_distance_km IS NULL OR (max_distance_km >= 0 AND max_distance_km <= 1000)', name=op.f('ck_listings_max_distance')),
    sa.CheckConstraint('quantity IS NULL OR quantity >= 0', name=op.f('ck_listings_quantity_not_negative')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_listings_owner_id_users')),
    sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], name=op.f('fk_listings_territory_id_territories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listings'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listings_available_until'), ['available_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_listings_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_listings_lat_lon', ['latitude', 'longitude'], unique=False)
        batch_op.create_index(batch_op.f('ix_listings_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_listings_status_category', ['status', 'category', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_listings_territory_id'), ['territory_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('locale', sa.String(length=5), server_default='fr', nullable=False),
    sa.Column('created_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('email_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_sent_at', mutualisation.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_email_status', ['email_status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notifications_recipient_read', ['recipient_id', 'read_at'], unique=False)

    op.create_table('listing_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_listing_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_events_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_events'))
    )
    with op.batch_alter_table('listing_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_events_listing_id'), ['listing_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('listing_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_events_listing_id'))

    op.drop_table('listing_events')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_read')
        batch_op.drop_index('ix_notifications_email_status')

    op.drop_table('notifications')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listings_territory_id'))
        batch_op.drop_index('ix_listings_status_category')
        batch_op.drop_index(batch_op.f('ix_listings_owner_id'))
        batch_op.drop_index('ix_listings_lat_lon')
        batch_op.drop_index(batch_op.f('ix_listings_created_at'))
        batch_op.drop_index(batch_op.f('ix_listings_available_until'))

    op.drop_table('listings')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_territory_id'))

    op.drop_table('users')
    with op.batch_alter_table('territory_postcodes', schema=None) as batch_op:
        batch_op.drop_index('ix_territory_postcodes_postcode')

    op.drop_table('territory_postcodes')
    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_territories_search_name'))
        batch_op.drop_index(batch_op.f('ix_territories_epci_code'))

    op.drop_table('territories')
    op.drop_table('app_meta')
