import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from provider_portal.database_roles import grant_app_role
from provider_portal.models.cases import MIGRATION_ONLY_INDEXES

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically. The portal's own loggers (and its extensions') stay
# on: by default fileConfig disables every logger already made, which silenced them for the
# rest of any process that ran a migration (the test suite's workers among them).
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    # The role that owns the tables runs the migrations (MIGRATION_DATABASE_URL); the portal
    # connects as another role (DATABASE_URL) that owns nothing. See database_roles.py.
    migration_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if migration_url:
        return sa.create_engine(migration_url, poolclass=sa.pool.NullPool)
    return current_app.extensions["migrate"].db.engine


def app_role_to_grant(connection):
    """The portal's own role when it is not the one migrating (PostgreSQL only), else None."""
    if connection.dialect.name != "postgresql":
        return None
    if not current_app.config.get("MIGRATION_DATABASE_URL"):
        return None
    app_role = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username
    owner = connection.exec_driver_sql("SELECT current_user").scalar()
    return app_role if app_role and app_role != owner else None


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate never proposes dropping the indexes only migrations make."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("include_object", include_object)

    connectable = get_engine()

    with connectable.connect() as connection:
        # A migration's writes are not counted as changes to the data (provider_portal.changes):
        # the count's table may not exist yet, and the application restarts after them.
        connection.execution_options(uncounted_changes=True)
        if connection.dialect.name == "sqlite":
            # SQLite alters a table by copying it and dropping the old one, which its foreign
            # keys forbid while rows point at it. The pragma only works outside a transaction,
            # so it goes straight to the driver before SQLAlchemy begins one; the checks
            # come back on with the next connection.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()
            app_role = app_role_to_grant(connection)
            if app_role is not None:
                # Every run, so tables added since are covered and the audit trail stays
                # append-only for the portal's role whatever a migration did to its grants.
                grant_app_role(connection, app_role)
                logger.info("Granted the portal's role %s its privileges.", app_role)
            if connection.dialect.name == "sqlite":
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"migration left broken foreign keys: {problems[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
