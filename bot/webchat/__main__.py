"""python -m bot.webchat: serve the chat page on loopback."""
from __future__ import annotations

import argparse
import logging
import sys

from bot.webchat.server import DEFAULT_SOCKET_PATH, WebChatConfig, WebChatSetupError, make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.webchat", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="Rasa server the page talks to")
    parser.add_argument(
        "--socket-path", default=DEFAULT_SOCKET_PATH, help="socketio_path of Rasa's socketio channel"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        server = make_server(WebChatConfig(args.rasa_url, args.socket_path), args.host, args.port)
    except (WebChatSetupError, OSError) as error:
        print(f"webchat: {error}", file=sys.stderr)
        return 2
    print(f"webchat: http://{args.host}:{server.server_port}/ talking to {args.rasa_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
