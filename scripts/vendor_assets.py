"""Copy Leaflet, its plugins and the country outlines from npm into webmap/static/vendor/,
and the test-only assets (axe-core, which the browser tests inject) into tests/vendor/.

Usage: ``python scripts/vendor_assets.py`` (needs ``npm``). The manifest of what pages load
lives in ``webmap.maps.assets.VENDORED``, that of the tests' assets in :data:`TEST_VENDORED`
here (never served: it stays out of ``static/``); run this after changing either and commit
the result. Pages then load every asset from our own static files, never from a CDN, and the
tests need no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from webmap.maps.assets import VENDOR_DIR, VENDORED, Package

#: Where the tests' own assets go (tests/browser/test_accessibility.py reads axe-core there).
TEST_VENDOR_DIR = Path(__file__).resolve().parent.parent / "tests" / "vendor"
#: Assets only the tests use, never served to a visitor.
TEST_VENDORED = (Package("axe-core", "4.14.1", ("axe.min.js", "LICENSE-3RD-PARTY.txt"), "LICENSE"),)


def main() -> None:
    """Fetch each package with ``npm pack`` and copy its listed files, licence and notice."""
    with tempfile.TemporaryDirectory() as tmp:
        for package, vendor_dir in [
            *((p, VENDOR_DIR) for p in VENDORED),
            *((p, TEST_VENDOR_DIR) for p in TEST_VENDORED),
        ]:
            spec = f"{package.name}@{package.version}"
            out = (
                subprocess.run(
                    ["npm", "pack", spec, "--silent"],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            target = vendor_dir / package.name
            shutil.rmtree(target, ignore_errors=True)
            with tarfile.open(Path(tmp) / out) as tar:
                for name in (*package.files, package.licence):
                    member = tar.extractfile(f"package/{name}")
                    if member is None:
                        raise SystemExit(f"{spec}: {name} not in the package")
                    dest = target / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(member.read())
            if package.notice:
                (target / "NOTICE").write_text(package.notice)
            (target / "VERSION").write_text(spec + "\n")
            print(f"vendored {spec} -> {target.relative_to(TEST_VENDOR_DIR.parent.parent)}")


if __name__ == "__main__":
    main()
