"""CI: a regular install works — the wheel, in a fresh venv outside the checkout.

Builds the wheel, installs it under requirements.txt's pins (what Heroku installs),
then from an empty folder runs `mentorbot db upgrade` and `mentorbot serve
--no-scheduler` against a fake Slack, and checks /healthz. Exit 0 when all held.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_slack import FakeSlack  # noqa: E402  (needs ROOT on sys.path)


def run(*args: str | Path, **kwargs: object) -> None:
    print("wheel check: $", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(url: str, deadline: float) -> dict[str, object]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return dict(json.load(response))
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mentorbot-wheel-") as tmp:
        work = Path(tmp)
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", work / "dist", ROOT)
        [wheel] = (work / "dist").glob("mentorbot-*.whl")
        run(sys.executable, "-m", "venv", work / "venv")
        pins = [
            line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#") and line.strip() != "."
        ]  # fmt: skip
        (work / "constraints.txt").write_text("\n".join(pins) + "\n")
        bin_dir = work / "venv" / "bin"
        run(bin_dir / "pip", "install", "--quiet", "-c", work / "constraints.txt", wheel)

        folder = work / "elsewhere"  # not the checkout: nothing to find migrations/ in
        folder.mkdir()
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "MENTORBOT_", "PYTHON")) and k != "DATABASE_URL"
        }  # fmt: skip
        env["DATABASE_URL"] = f"sqlite:///{folder / 'mentorbot.db'}"
        where = subprocess.run(
            [bin_dir / "python", "-c", "import bot; print(bot.__file__)"],
            cwd=folder, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        if not where.startswith(str(work / "venv")):
            print(f"wheel check: bot was imported from {where}, not the venv", file=sys.stderr)
            return 1
        run(bin_dir / "mentorbot", "db", "upgrade", cwd=folder, env=env)

        with FakeSlack() as fake:
            port = free_port()
            env |= {
                "SLACK_BOT_TOKEN": fake.token, "SLACK_SIGNING_SECRET": "ci-secret",
                "SLACK_API_URL": fake.base_url, "PORT": str(port),
            }  # fmt: skip
            server = subprocess.Popen(
                [bin_dir / "mentorbot", "serve", "--no-scheduler"], cwd=folder, env=env
            )
            try:
                health = healthz(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 60)
            finally:
                server.send_signal(signal.SIGTERM)
                code = server.wait(30)
            verified = len(fake.calls_to("auth.test"))
        print(f"wheel check: /healthz {health}, auth.test at start {verified}, exit {code}")
        if health != {"ok": True, "database": "ok"} or verified != 1 or code != 0:
            return 1
    print(f"wheel check: passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as failed:
        print(f"wheel check: failed ({failed})", file=sys.stderr)
        sys.exit(1)
