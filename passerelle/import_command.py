"""`passerelle import signings.jsonl`: a backlog of CIR signings handed over by another system, sent to
`POST /v1/cir-signings/batch` in chunks, with a progress bar and a summary; the lines refused are written,
with why, to a file of their own. Safe to run again: what was recorded answers `duplicate`."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from passerelle.usage import UsageError

BATCH_PATH = "/v1/cir-signings/batch"
MAX_CHUNK_BYTES = 900 * 1024  # under the service's default MAX_REQUEST_BYTES (1 MiB)
REFUSED = ("invalid", "conflict", "forbidden")
LABELS = {"accepted": "enregistrées / accepted", "duplicate": "déjà là / duplicate", "invalid": "invalides / invalid",
          "conflict": "en conflit / conflict", "forbidden": "hors territoire / forbidden"}  # fmt: skip


def chunks(lines: list[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    """At most `size` lines and MAX_CHUNK_BYTES per chunk, in order."""
    chunk: list[tuple[int, str]] = []
    weight = 0
    for number, line in lines:
        cost = len(line.encode()) + 1
        if chunk and (len(chunk) >= size or weight + cost > MAX_CHUNK_BYTES):
            yield chunk
            chunk, weight = [], 0
        chunk.append((number, line))
        weight += cost
    if chunk:
        yield chunk


def _read(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path} : fichier introuvable / no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} : pas du texte UTF-8 / not UTF-8 text") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _send(client: httpx.Client, chunk: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The chunk's per-line results, renumbered as lines of the file; a rebuilding service is waited for."""
    body = "\n".join(line for _, line in chunk).encode()
    delay = 0.5
    for _ in range(30):
        try:
            answer = client.post(BATCH_PATH, content=body, headers={"Content-Type": "application/x-ndjson"})
        except httpx.TransportError as exc:
            raise UsageError(
                f"{client.base_url} : referrals injoignable / cannot reach referrals ({exc.__class__.__name__})"
            ) from exc
        if answer.status_code == 200:
            results: list[dict[str, Any]] = answer.json()["results"]
            for result in results:
                result["line"] = chunk[result["line"] - 1][0]
            return results
        if answer.status_code in (401, 403):
            raise UsageError(
                f"{client.base_url} : clé refusée / key refused ({answer.status_code}) : {answer.json()['detail']}"
            )
        if answer.status_code != 503:
            raise UsageError(
                f"{client.base_url}{BATCH_PATH} : réponse / answered {answer.status_code} : {answer.text[:300]}"
            )
        time.sleep(float(answer.headers.get("Retry-After", delay)))
        delay = min(delay * 2, 5.0)
    raise UsageError(
        f"{client.base_url} : toujours indisponible (503) après 30 essais / still unavailable after 30 tries"
    )


def run_import(
    path: Path, base_url: str, key: str | None, batch: int, rejected_path: Path | None, console: Console
) -> int:
    """0 when every line is recorded (or was already), 1 when some were refused (see the summary), 2 for
    a problem with the command itself (file, key, service)."""
    if not key:
        raise UsageError(
            "il faut une clé d'API d'auditeur : --key ou PASSERELLE_API_KEY / an auditor's API key is needed"
        )
    if not 1 <= batch <= 100_000:
        raise UsageError(f"--batch {batch} : entre 1 et 100000 lignes / between 1 and 100000 lines")
    lines = _read(path)
    if not lines:
        raise UsageError(f"{path} : aucune ligne à importer / no line to import")
    counts: Counter[str] = Counter()
    refused: list[dict[str, Any]] = []
    started = time.perf_counter()
    with (
        httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client,
        Progress(
            TextColumn("import"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("signings", total=len(lines))
        for chunk in chunks(lines, batch):
            for result in _send(client, chunk):
                counts[result["status"]] += 1
                if result["status"] in REFUSED:
                    refused.append(result)
            progress.advance(task, len(chunk))
    elapsed = time.perf_counter() - started
    table = Table(title=f"{path} → {base_url}: {len(lines)} lignes / lines, {len(lines) / elapsed:,.0f}/s")
    table.add_column("résultat / result")
    table.add_column("lignes / lines", justify="right")
    for status, label in LABELS.items():
        table.add_row(label, str(counts.get(status, 0)))
    console.print(table)
    if refused:
        for result in refused[:5]:
            why = result.get("detail") or "; ".join(f"{'.'.join(map(str, e['loc'][2:]))}: {e['msg']}"
                                                     for e in result["errors"])  # fmt: skip
            console.print(f"  ligne {result['line']} ({result['status']}) : {why}")
        if rejected_path is not None:
            rejected_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refused))
            console.print(f"{len(refused)} lignes refusées écrites dans / refused lines written to {rejected_path}")
        return 1
    return 0
