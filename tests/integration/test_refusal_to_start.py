"""The services as shipped refuse to start without what the operator must give (issue 30, class 3): a
process run in production without its secrets, or in development on a non-loopback address with the
development ones, exits with 2 and names every setting at fault — before it opens a connection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BASE = {"PATH": os.environ["PATH"], "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "REDIS_URL": "redis://127.0.0.1:1/0"}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.referrals"], env=BASE | env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ENVIRONMENT": "production"}, ["ADMIN_TOKEN", "SESSION_SECRET", "MASTER_KEY"]),
        ({"HTTP_HOST": "0.0.0.0"}, ["HTTP_HOST", "ADMIN_TOKEN", "SESSION_SECRET", "MASTER_KEY"]),
        (
            {"ENVIRONMENT": "production", "ADMIN_TOKEN": "a" * 40, "SESSION_SECRET": "trop-court"},
            ["SESSION_SECRET", "MASTER_KEY"],
        ),
    ],
    ids=["production-without-secrets", "development-beyond-loopback", "production-short-and-missing"],
)
def test_referrals_refuses_to_start_naming_each_setting(env: dict[str, str], named: list[str]) -> None:
    started = _start(env)
    assert started.returncode == 2, started.stderr
    assert "ne démarre pas / does not start" in started.stderr
    refusal = started.stderr.split("does not start:", 1)[1]
    assert all(f"  - {name}" in refusal for name in named), started.stderr
    assert "Traceback" not in started.stderr
