"""Trust Act complaints: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env, settle_hash_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides: object) -> Flask:
    """Build the app. No migration, no network, no exit: creating an app has no side effects
    beyond making the instance folder and, in development, its generated secrets."""
    config = config or config_from_env()
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(config)
    _fill_secrets(app, config)
    app.config.update(overrides)
    settle_hash_keys(app.config)
    config.validate(app.config)

    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_template_helpers(app)
    register_cli(app)
    register_statistics(app)
    register_unit_of_work(app)
    return app


def _fill_secrets(app: Flask, config: type[Config]) -> None:
    from complaints_app import instance_keys

    if config.ENV_NAME == "production":
        return
    missing = [k for k in ("SECRET_KEY", "HASH_KEY", "ENCRYPTION_KEYS") if not app.config.get(k)]
    if app.config.get("HASH_KEYS") and "HASH_KEY" in missing:
        missing.remove("HASH_KEY")  # HASH_KEYS given: it names the hash keys
    if not missing:
        return
    if config.ENV_NAME == "testing":
        generated = instance_keys.for_tests()
    else:
        generated = instance_keys.load_or_create(app.instance_path)
    for key in missing:
        app.config[key] = generated[key]


def register_extensions(app: Flask) -> None:
    from complaints_app import auth, database  # noqa: F401 — auth registers the user loader
    from complaints_app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from complaints_app.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    database.init_app(app)


def register_blueprints(app: Flask) -> None:
    from complaints_app import api
    from complaints_app.admin import bp as admin_bp
    from complaints_app.auth import bp as auth_bp
    from complaints_app.auth.routes import init_app as init_auth
    from complaints_app.org import bp as org_bp
    from complaints_app.public import bp as public_bp
    from complaints_app.staff import bp as staff_bp
    from complaints_app.tokens import bp as tokens_bp

    for blueprint in (public_bp, auth_bp, staff_bp, admin_bp, org_bp, tokens_bp):
        app.register_blueprint(blueprint)
    init_auth(app)
    api.init_app(app)
    _check_deny_by_default(app)


# Blueprints whose every endpoint must declare a permission with @requires.
GUARDED_BLUEPRINTS = ("staff", "admin", "org", "api", "tokens")


def _check_deny_by_default(app: Flask) -> None:
    """Refuse to start if a guarded endpoint forgot to declare its permission."""
    for endpoint, view in app.view_functions.items():
        blueprint = endpoint.split(".", 1)[0]
        if blueprint in GUARDED_BLUEPRINTS and not hasattr(view, "required_permissions"):
            raise RuntimeError(f"{endpoint} declares no permission (use @requires)")


def register_security(app: Flask) -> None:
    from complaints_app import security

    security.init_app(app)


def register_errors(app: Flask) -> None:
    from complaints_app import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from complaints_app import templating

    templating.init_app(app)


def register_unit_of_work(app: Flask) -> None:
    """Last, so that its commit runs first of the after-request work and the page that
    replaces a failed commit still gets every header."""
    from complaints_app import uow

    uow.init_app(app)


def register_statistics(app: Flask) -> None:
    """The statistics' counts follow every change to a case, in the same transaction."""
    from complaints_app.services import stat_summary

    stat_summary.init_app(app)


def register_cli(app: Flask) -> None:
    from complaints_app import cli

    cli.init_app(app)
