"""`python -m sandbox`: serve the third-party sandbox on one loopback port."""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.app import create_app
from sandbox.state import SandboxConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=(
            "Serve local emulators of the LaundryConnect backend's outside services "
            "(SMS, Twilio-compatible; payment gateway, Razorpay-compatible; push, "
            "Expo-compatible) plus the /_sandbox/ control API. Test credentials come from "
            "LC_SANDBOX_TWILIO_ACCOUNT_SID, LC_SANDBOX_TWILIO_AUTH_TOKEN, "
            "LC_SANDBOX_RAZORPAY_KEY_ID, LC_SANDBOX_RAZORPAY_KEY_SECRET and "
            "LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET; gateway webhooks go to LC_SANDBOX_WEBHOOK_URL. "
            "One log line per request and per webhook attempt goes to stdout."
        ),
        epilog="See sandbox/README.md for every endpoint and fault.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8900, help="port to bind (default 8900)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's own log level (default info); request lines are always written",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be from 1 to 65535, got {args.port}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        config = SandboxConfig.from_env()
    except ValueError as error:
        raise SystemExit(f"python -m sandbox: {error}") from None
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="off",
        ws="none",
        # A request held by a `timeout` fault must not keep the process alive on shutdown.
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
