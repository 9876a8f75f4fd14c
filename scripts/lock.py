"""The lock files, made from pyproject.toml by uv (`make lock`), and the check that they
still agree with it (`make lint`, so CI).

requirements.lock       every dependency with the dev extra (tests, lint): make install
requirements-prod.lock  the same pins without the dev extra: the Docker image

Each file starts with a digest of pyproject.toml's dependency lists. Editing those lists
without `make lock` makes the check fail; the pins themselves change only when someone
runs `make lock` (keeps the other pins) or `make lock UPGRADE=1` (newest of everything).
Standard library only: it runs before anything is installed.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
DIGEST_PREFIX = "# pyproject.toml dependencies sha256: "
# Later files are constrained by the first, so production gets exactly the tested pins.
LOCKS = {
    "requirements.lock": ["--extra", "dev"],
    "requirements-prod.lock": ["--constraint", "requirements.lock"],
}
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]


def pyproject_digest() -> str:
    """sha256 of what a lock is made from: requires-python and the dependency lists."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    inputs = {
        key: project.get(key)
        for key in ("requires-python", "dependencies", "optional-dependencies")
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def lock_digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def check() -> int:
    digest = pyproject_digest()
    stale = [name for name in LOCKS if lock_digest(ROOT / name) != digest]
    if stale:
        print(
            f"{', '.join(stale)} do(es) not match pyproject.toml's dependencies: "
            "run make lock (and commit the lock files)",
            file=sys.stderr,
        )
        return 1
    return 0


def lock(*, uv: str, upgrade: bool) -> int:
    digest = pyproject_digest()
    for name, options in LOCKS.items():
        command = [
            uv, "pip", "compile", "pyproject.toml", *options, *TARGET,
            "--generate-hashes", "--custom-compile-command", "make lock",
            "--quiet", "--output-file", name,
        ]  # fmt: skip
        if upgrade:
            command.append("--upgrade")
        subprocess.run(command, cwd=ROOT, check=True)
        path = ROOT / name
        body = "".join(
            line
            for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(DIGEST_PREFIX)
        )
        path.write_text(f"{DIGEST_PREFIX}{digest}\n{body}", encoding="utf-8")
        print(f"wrote {name}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a lock is stale")
    parser.add_argument("--upgrade", action="store_true", help="newest versions of all")
    parser.add_argument("--uv", default="uv", help="the uv executable")
    args = parser.parse_args()
    return check() if args.check else lock(uv=args.uv, upgrade=args.upgrade)


if __name__ == "__main__":
    sys.exit(main())
