"""Copy Leaflet, its plugins and the country outlines from npm into webmap/static/vendor/.

Usage: ``python scripts/vendor_assets.py`` (needs ``npm``). The manifest lives in
``webmap.maps.assets.VENDORED``; run this after changing it and commit the result. Pages then
load every asset from our own static files, never from a CDN.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from webmap.maps.assets import VENDOR_DIR, VENDORED


def main() -> None:
    """Fetch each package with ``npm pack`` and copy its listed files, licence and notice."""
    with tempfile.TemporaryDirectory() as tmp:
        for package in VENDORED:
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
            target = VENDOR_DIR / package.name
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
            print(f"vendored {spec} -> {target.relative_to(VENDOR_DIR.parent.parent.parent)}")


if __name__ == "__main__":
    main()
