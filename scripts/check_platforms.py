"""Check that the wheel's dependencies resolve to binary wheels on other platforms.

Builds the wheel from this checkout, then runs ``pip download --only-binary=:all:`` of it
with its dependencies for macOS arm64 and Linux aarch64 (Python 3.11 by default), and
prints which TensorFlow and jaxlib wheels each platform gets. pip evaluates environment
markers (``sys_platform``, ``platform_machine``) for the machine it runs on, even with
``--platform``; so each download runs with pip's marker environment set to the target's.

Usage:
    python scripts/check_platforms.py [--python-version 3.11] [--keep DIR]

Needs access to the package index; downloads about 1 GB per platform unless pip's cache
has the wheels.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TARGETS = {
    "macOS arm64": (
        {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin"},
        [f"macosx_{v}_0_{arch}" for v in (11, 12, 13, 14) for arch in ("arm64", "universal2")],
    ),
    "Linux aarch64": (
        {"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux"},
        [f"manylinux_2_{v}_aarch64" for v in (17, 24, 26, 27, 28, 31, 34)]
        + ["manylinux2014_aarch64"],
    ),
}

PIP_WITH_MARKERS = """
import json, sys
from pip._vendor.packaging import markers
target = json.loads(sys.argv[1])
original = markers.default_environment
markers.default_environment = lambda: {**original(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def build_wheel(out: Path) -> Path:
    """Build the wheel of this checkout into ``out`` and return its path."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."]
    subprocess.run(command, cwd=REPO, check=True)
    return next(out.glob("foodvision-*.whl"))


def download(wheel: Path, name: str, python_version: str, dest: Path) -> list[str]:
    """``pip download`` the wheel and its dependencies for one target; the files got."""
    import json

    environment, platforms = TARGETS[name]
    command = [sys.executable, "-c", PIP_WITH_MARKERS, json.dumps(environment), "download"]
    command += ["-q", "--only-binary=:all:", "--python-version", python_version, "-d", str(dest)]
    for platform in platforms:
        command += ["--platform", platform]
    subprocess.run([*command, str(wheel)], check=True)
    return sorted(p.name for p in dest.iterdir())


def main() -> int:
    """Build, download for every target, print what each got."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--python-version", default="3.11")
    parser.add_argument("--keep", type=Path, default=None, help="keep the downloads here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        wheel = build_wheel(Path(scratch) / "wheel")
        for name in TARGETS:
            dest = root / name.replace(" ", "-").lower()
            dest.mkdir(parents=True, exist_ok=True)
            files = download(wheel, name, args.python_version, dest)
            key = [f for f in files if f.startswith(("tensorflow", "jaxlib", "keras-"))]
            print(f"{name}: {len(files)} wheels, all binary; {', '.join(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
