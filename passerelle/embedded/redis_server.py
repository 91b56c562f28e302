"""A throw-away `redis-server` on a free loopback port, keeping nothing on disk."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from passerelle.embedded.processes import StartupFailed, free_port, port_open, spawn, stop, wait_until


@dataclass
class EmbeddedRedis:
    log_dir: Path
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 15.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartupFailed("redis-server is not installed: run `make system-deps` (apt-get install redis-server)")
        log_path = self.log_dir / "redis.log"
        self._process = spawn(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.log_dir),
            ],
            log_path,
        )
        wait_until(
            lambda: port_open(self.port),
            timeout_s=timeout_s,
            what="redis-server",
            process=self._process,
            log_path=log_path,
        )

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
