"""The action server, with a shared secret: ``python -m actions.server --port N``.

rasa-sdk 3.6.2 has no authentication, so anything that can reach the port could run an
action (a forged ``POST /webhook`` could mark a caller as verified). This launcher is
rasa_sdk's own ``python -m rasa_sdk`` (same arguments, same app, executor and server) plus
one request middleware: every request except ``GET /health`` must carry
``Authorization: Bearer <SWITCHBOARD_ACTION_TOKEN>``, or it is answered 401 with
``{"error": "unauthorized", "message": ...}``. Rasa sends the header on every action call
(``headers:`` of the action endpoint in ``endpoints.yml``); ``switchboard.stack`` generates
the token per run and gives it to both through the environment.

Other differences from ``python -m rasa_sdk``: no CORS (only Rasa calls this server), the
package defaults to ``actions``, and it binds 127.0.0.1 unless ``--host`` or ``SANIC_HOST``
says otherwise. Without a token it refuses to start (exit code 2).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
import types
from typing import List, Mapping, Optional, Text, Union

TOKEN_ENV = "SWITCHBOARD_ACTION_TOKEN"
DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = frozenset({"/health"})  # the stack's readiness check
_SCHEME = "bearer"

logger = logging.getLogger("actions.server")  # not __main__ under `python -m`


class ConfigError(RuntimeError):
    """The server cannot start as configured."""


def check_token(token: Optional[str]) -> str:
    """``token`` if it can be the shared secret: non-empty, printable ASCII, no spaces."""
    if not token or not token.strip():
        raise ConfigError(
            f"{TOKEN_ENV} is not set (or empty): the action server accepts only calls that carry this shared "
            "secret, so it will not start without one (switchboard.stack sets it; to run the "
            f"server alone, export {TOKEN_ENV}=<secret> and give Rasa the same value)"
        )
    if not (token.isascii() and token.isprintable()) or any(ch.isspace() for ch in token):
        raise ConfigError(f"{TOKEN_ENV} must be printable ASCII without spaces (it is sent in a header)")
    return token


def token_from_env(env: Optional[Mapping[str, str]] = None) -> str:
    """The shared secret from ``SWITCHBOARD_ACTION_TOKEN``; ConfigError when it is unset or unusable."""
    env = os.environ if env is None else env
    return check_token(env.get(TOKEN_ENV))


def _presented_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != _SCHEME or not value.strip():
        return None
    return value.strip()


def add_token_check(app, token: str) -> None:
    """Answer 401 to every request but ``/health`` that lacks ``Authorization: Bearer <token>``.

    The check runs before any other request middleware (CORS included) and before the
    handler, also for unknown paths and methods, so a refused call runs no action.
    """
    from sanic import response

    expected = check_token(token).encode("utf-8")

    async def require_action_token(request):
        if request.path in OPEN_PATHS:
            return None
        presented = _presented_token(request.headers.get("authorization"))
        if presented is not None and hmac.compare_digest(presented.encode("utf-8", "replace"), expected):
            return None
        # Never log the token (expected or presented): only who asked for what.
        logger.warning(
            "refused %s %s from %s: %s",
            request.method,
            request.path,
            request.ip or "unknown",
            "no action token" if presented is None else "wrong action token",
        )
        return response.json(
            {
                "error": "unauthorized",
                "message": "this action server accepts only calls from Rasa with the action "
                "token (Authorization: Bearer ...)",
            },
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="switchboard-actions"'},
        )

    def put_first(*_args) -> None:
        # Sanic 21.12 has no middleware priority, and Sanic-CORS (which rasa_sdk always
        # installs, and which answers OPTIONS by itself) puts its middleware first when the
        # server starts: put the check back in front of it, the way Sanic-CORS does.
        if require_action_token in app.request_middleware:
            app.request_middleware.remove(require_action_token)
        app.request_middleware.appendleft(require_action_token)

    app.register_middleware(require_action_token, "request")
    put_first()
    # Listeners run in the order they were added, so this one runs after Sanic-CORS's.
    app.register_listener(put_first, "before_server_start")


def create_app(
    action_package_name: Union[Text, types.ModuleType] = "actions",
    token: Optional[str] = None,
    auto_reload: bool = False,
):
    """rasa_sdk's app without CORS, with the token check (``token`` defaults to the env var)."""
    from rasa_sdk import endpoint

    token = token_from_env() if token is None else check_token(token)
    app = endpoint.create_app(action_package_name, cors_origins=None, auto_reload=auto_reload)
    add_token_check(app, token)
    return app


def run(
    action_package_name: Union[Text, types.ModuleType] = "actions",
    port: Optional[int] = None,
    host: Optional[str] = None,
    token: Optional[str] = None,
    ssl_certificate: Optional[Text] = None,
    ssl_keyfile: Optional[Text] = None,
    ssl_password: Optional[Text] = None,
    auto_reload: bool = False,
) -> None:
    """rasa_sdk.endpoint.run with the token check, no CORS and 127.0.0.1 by default."""
    from rasa_sdk import utils
    from rasa_sdk.constants import DEFAULT_SERVER_PORT
    from rasa_sdk.endpoint import create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    port = DEFAULT_SERVER_PORT if port is None else port
    host = host or os.environ.get("SANIC_HOST") or DEFAULT_HOST
    logger.info("Starting action endpoint server...")
    app = create_app(action_package_name, token=token, auto_reload=auto_reload)
    ## Attach additional sanic extensions: listeners, middleware and routing
    logger.info("Starting plugins...")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(ssl_certificate, ssl_keyfile, ssl_password)
    protocol = "https" if ssl_context else "http"
    logger.info(
        f"Action endpoint is up and running on {protocol}://{host}:{port} "
        f"(calls need the {TOKEN_ENV} token)"
    )
    app.run(host, port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


def create_argument_parser() -> argparse.ArgumentParser:
    """rasa_sdk's arguments, plus ``--host``; ``--actions`` defaults to ``actions``."""
    from rasa_sdk.endpoint import create_argument_parser as sdk_parser

    parser = sdk_parser()
    parser.description = (
        "starts the Switchboard action endpoint (rasa_sdk); every call but /health needs "
        f"Authorization: Bearer ${TOKEN_ENV}"
    )
    parser.set_defaults(actions="actions")
    parser.add_argument(
        "--host",
        default=None,
        help=f"address to bind (default: $SANIC_HOST, else {DEFAULT_HOST})",
    )
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the arguments, set up logging as rasa_sdk does, check the token and serve."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME

    args = create_argument_parser().parse_args(argv)
    if args.cors is not None:
        print("actions.server: --cors is not supported: only Rasa calls the action server", file=sys.stderr)
        return 2
    try:
        token = token_from_env()
    except ConfigError as exc:
        print(f"actions.server: refusing to start: {exc}", file=sys.stderr)
        return 2

    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()

    run(
        args.actions,
        port=args.port,
        host=args.host,
        token=token,
        ssl_certificate=args.ssl_certificate,
        ssl_keyfile=args.ssl_keyfile,
        ssl_password=args.ssl_password,
        auto_reload=args.auto_reload,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
