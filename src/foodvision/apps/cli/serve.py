"""``foodvision serve``: a local page where you drop a photo and see what the model says.

Example:
    $ foodvision serve runs/study/step5_vgg16/model.keras --port 8000
    serving runs/study/step5_vgg16/model.keras on http://127.0.0.1:8000/ (Ctrl-C stops)
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    """Register ``serve`` on the command's sub-parsers."""
    parser = commands.add_parser(
        "serve", help="a local web page: drop a photo, see the top classes and Grad-CAM"
    )
    parser.add_argument("model", help="a .keras file saved by foodvision")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: this machine)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free one)")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument(
        "--tta", action="store_true", help="average the photo and its mirror (slower)"
    )
    parser.add_argument("--no-grad-cam", action="store_true", help="no Grad-CAM overlay")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from foodvision.apps.serve import ModelServer

    server = ModelServer(
        args.model,
        host=args.host,
        port=args.port,
        top_k=args.top_k,
        tta=args.tta,
        grad_cam=not args.no_grad_cam,
    )
    print(f"serving {args.model} on {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
