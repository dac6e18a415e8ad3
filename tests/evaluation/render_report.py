"""Render a saved report page to a PNG with headless Chromium, to look at its layout.

Not a test; a tool for people changing the report:

    apt-get update && apt-get install -y chromium      # Debian
    python tests/evaluation/render_report.py runs/x/report /tmp/report.png
    python tests/evaluation/render_report.py runs/compare/comparison.html /tmp/cmp.png

The first argument is a report folder (``report.html`` inside) or an HTML file. The
browser is ``$CHROMIUM`` or the first of chromium / chromium-browser / google-chrome on
PATH. ``--tiles`` also cuts the screenshot into 1100-pixel-high pieces for viewers that
shrink tall images.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium without a display, a sandbox or any network of its own (this one has none)."""


def browser_path() -> str | None:
    """``$CHROMIUM``, else the first of :data:`BROWSERS` on PATH, else ``None``."""
    candidates = [os.environ.get("CHROMIUM", "")] + [shutil.which(b) or "" for b in BROWSERS]
    return next((c for c in candidates if c and Path(c).exists()), None)


def find_browser() -> str:
    found = browser_path()
    if found:
        return found
    sys.exit(
        "no Chromium found; install it (Debian: apt-get update && apt-get install -y "
        "chromium) or set CHROMIUM to the browser's path"
    )


def render(page: Path, output: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        command = [
            find_browser(),
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={output.resolve()}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not output.is_file():
        sys.exit(f"the browser wrote no screenshot to {output}")


def tiles(output: Path, size: int = 1100) -> list[Path]:
    from PIL import Image

    image = Image.open(output)
    paths = []
    for index, top in enumerate(range(0, image.height, size)):
        path = output.with_name(f"{output.stem}_{index}{output.suffix}")
        image.crop((0, top, image.width, min(top + size, image.height))).save(path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="report folder or HTML file")
    parser.add_argument("output", type=Path, help="PNG to write")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--tiles", action="store_true", help="also write 1100 px high tiles")
    args = parser.parse_args()
    page = args.page / "report.html" if args.page.is_dir() else args.page
    if not page.is_file():
        sys.exit(f"{page} not found; pass a folder written by report.save() or an HTML file")
    render(page, args.output, args.width, args.height)
    print(args.output)
    if args.tiles:
        for path in tiles(args.output):
            print(path)


if __name__ == "__main__":
    main()
