"""oauth clients, authorization codes, refresh tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 17:30:00

Secrets, codes and refresh tokens are stored as SHA-256 digests only.
oauth_clients has a tenant_id (machine clients are bound to one tenant) and
gets row-level security like every table with one; codes and refresh tokens
belong to platform-wide users and carry no tenant.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('redirect_uris', postgresql.ARRAY(sa.String(length=2000)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('grant_types', postgresql.ARRAY(sa.String(length=40)), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('token_endpoint_auth_method', sa.String(length=30), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')",
                       name=op.f('ck_oauth_clients_auth_method')),
    sa.CheckConstraint("(token_endpoint_auth_method = 'none') = (client_secret_hash IS NULL)",
                       name=op.f('ck_oauth_clients_secret_only_for_confidential')),
    sa.CheckConstraint("cardinality(grant_types) > 0 AND grant_types <@ "
                       "ARRAY['authorization_code', 'refresh_token', 'client_credentials']::varchar[]",
                       name=op.f('ck_oauth_clients_grant_types')),
    sa.CheckConstraint("('client_credentials' = ANY(grant_types)) = (tenant_id IS NOT NULL)",
                       name=op.f('ck_oauth_clients_machine_client_bound_to_tenant')),
    sa.CheckConstraint("NOT ('client_credentials' = ANY(grant_types)) OR token_endpoint_auth_method <> 'none'",
                       name=op.f('ck_oauth_clients_machine_client_confidential')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_oauth_clients_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oauth_clients'))
    )
    op.create_index(op.f('ix_oauth_clients_tenant_id'), 'oauth_clients', ['tenant_id'], unique=False)
    op.create_table('oauth_authorization_codes',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=True),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code_challenge_method = 'S256'", name=op.f('ck_oauth_authorization_codes_s256_only')),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'],
                            name=op.f('fk_oauth_authorization_codes_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_oauth_authorization_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_authorization_codes_code_hash'))
    )
    op.create_index('ix_oauth_authorization_codes_client_nonce', 'oauth_authorization_codes',
                    ['client_id', 'nonce'], unique=False)
    op.create_table('oauth_refresh_tokens',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('family_id', sa.UUID(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'],
                            name=op.f('fk_oauth_refresh_tokens_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_oauth_refresh_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_oauth_refresh_tokens_client_id'), 'oauth_refresh_tokens', ['client_id'], unique=False)
    op.create_index(op.f('ix_oauth_refresh_tokens_family_id'), 'oauth_refresh_tokens', ['family_id'], unique=False)
    op.create_index(op.f('ix_oauth_refresh_tokens_user_id'), 'oauth_refresh_tokens', ['user_id'], unique=False)
    enable_tenant_rls(op, 'oauth_clients')


def downgrade() -> None:
    disable_tenant_rls(op, 'oauth_clients')
    op.drop_index(op.f('ix_oauth_refresh_tokens_user_id'), table_name='oauth_refresh_tokens')
    op.drop_index(op.f('ix_oauth_refresh_tokens_family_id'), table_name='oauth_refresh_tokens')
    op.drop_index(op.f('ix_oauth_refresh_tokens_client_id'), table_name='oauth_refresh_tokens')
    op.drop_table('oauth_refresh_tokens')
    op.drop_index('ix_oauth_authorization_codes_client_nonce', table_name='oauth_authorization_codes')
    op.drop_table('oauth_authorization_codes')
    op.drop_index(op.f('ix_oauth_clients_tenant_id'), table_name='oauth_clients')
    op.drop_table('oauth_clients')
