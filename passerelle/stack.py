"""The three services as separate processes: start, wait for readiness, follow logs, stop, kill."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from passerelle.embedded.processes import free_port, spawn, stop, wait_until
from passerelle.infrastructure import Infrastructure

SERVICE_MODULES = {
    "referrals": "services.referrals",
    "matching": "services.matching",
    "notifications": "services.notifications",
}


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class ServiceStack:
    """Runs each service as `python -m services.<name>` against `infrastructure`."""

    infrastructure: Infrastructure
    log_format: str = "json"
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # fixed ports (make up); free ones otherwise
    instance: str = ""  # a second stack of the same services (scale-out) names its logs apart: referrals.2.log

    def __post_init__(self) -> None:
        suffix = f".{self.instance}" if self.instance else ""
        for name in SERVICE_MODULES:
            port = self.ports.get(name) or free_port()
            self.services[name] = ServiceProcess(name, port, self.infrastructure.log_dir / f"{name}{suffix}.log")

    def start(self, timeout_s: float = 60.0) -> None:
        try:
            for name in SERVICE_MODULES:
                self.start_service(name, wait=False)
            for name in SERVICE_MODULES:
                self.wait_ready(name, timeout_s)
        except BaseException:
            self.stop()
            raise

    def start_service(self, name: str, wait: bool = True, timeout_s: float = 60.0) -> None:
        service = self.services[name]
        env = {
            **self.infrastructure.environment(),
            "HTTP_PORT": str(service.port),
            "LOG_FORMAT": self.log_format,
            "KAFKA_REPLICATION_FACTOR": str(self.infrastructure.replication_factor),
            **self.extra_env,
        }
        service.process = spawn([sys.executable, "-m", SERVICE_MODULES[name]], service.log_path, env)
        if wait:
            self.wait_ready(name, timeout_s)

    def wait_ready(self, name: str, timeout_s: float = 60.0) -> None:
        service = self.services[name]
        wait_until(
            service.healthy,
            timeout_s=timeout_s,
            what=f"service {name}",
            process=service.process,
            log_path=service.log_path,
        )

    def kill(self, name: str) -> None:
        """SIGKILL a service, as a crash would."""
        process = self.services[name].process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def stop(self) -> None:
        for service in self.services.values():
            if service.process is not None:
                stop(service.process)
                service.process = None

    def url(self, name: str) -> str:
        return self.services[name].url

    def exited(self) -> list[str]:
        return [s.name for s in self.services.values() if s.process is not None and s.process.poll() is not None]


def follow_logs(stack: ServiceStack, stop_event: threading.Event) -> threading.Thread:
    """Echo every service's log lines to stdout, prefixed with the service name."""

    def run() -> None:
        handles = {name: None for name in stack.services}
        width = max(len(n) for n in stack.services)
        while not stop_event.is_set():
            quiet = True
            for name, service in stack.services.items():
                if handles[name] is None and service.log_path.exists():
                    handles[name] = service.log_path.open("r", errors="replace")  # type: ignore[assignment]
                handle = handles[name]
                if handle is None:
                    continue
                for line in handle.readlines():
                    quiet = False
                    sys.stdout.write(f"{name:<{width}} | {line}")
            sys.stdout.flush()
            if quiet:
                time.sleep(0.2)

    thread = threading.Thread(target=run, name="log-follower", daemon=True)
    thread.start()
    return thread
