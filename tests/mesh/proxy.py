"""Run Debian's nginx as an L7 gRPC proxy, from the shipped deploy/proxy/nginx-grpc.conf, for tests.

The example's upstream `server` lines and its `listen` port are replaced by the test's; a small
main config around it keeps every file (pid, logs, temp files) in the test's directory, so nothing
touches /etc or a system service. nginx is installed by tools/backends/nginx.sh.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.backends import REPO_ROOT
from tests.support.checks import free_port

EXAMPLE = REPO_ROOT / "deploy" / "proxy" / "nginx-grpc.conf"
INSTALLER = REPO_ROOT / "tools" / "backends" / "nginx.sh"

MAIN = """\
daemon off;
master_process on;
worker_processes 1;
user root;
pid {run}/nginx.pid;
error_log {run}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/didmeta.conf;
}}
"""


def nginx_binary() -> str:
    """Install nginx-light if needed (cached, lock-protected) and return its path."""
    subprocess.run([str(INSTALLER), "install"], check=True, capture_output=True, timeout=900)
    return subprocess.run([str(INSTALLER), "path"], check=True, capture_output=True, text=True).stdout.strip()


def proxy_config(example: str, upstreams: Sequence[str], port: int) -> str:
    """The example with these upstream addresses and this listen port (on 127.0.0.1)."""
    server_line = re.compile(r"^(\s*)server \d+\.\d+\.\d+\.\d+:\d+(.*)$", re.MULTILINE)
    template = server_line.search(example)
    assert template is not None, "the example lists its upstream servers as `server ADDRESS:PORT ...;`"
    indent, rest = template.group(1), template.group(2)
    lines = "\n".join(f"{indent}server {address}{rest}" for address in upstreams)
    text = server_line.sub("", example)
    text = re.sub(r"(upstream didmeta \{\n)", lambda m: m.group(1) + lines + "\n", text, count=1)
    text, listens = re.subn(r"listen \d+ http2;", f"listen 127.0.0.1:{port} http2;", text)
    assert listens == 1, "the example has one `listen PORT http2;` line"
    return text


@dataclass
class Nginx:
    directory: Path
    upstreams: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    address: str = ""

    def start(self) -> Nginx:
        binary = nginx_binary()
        run = self.directory
        run.mkdir(parents=True, exist_ok=True)
        port = free_port()
        (run / "didmeta.conf").write_text(proxy_config(EXAMPLE.read_text(), self.upstreams, port))
        (run / "nginx.conf").write_text(MAIN.format(run=run))
        check = subprocess.run(
            [binary, "-t", "-p", str(run), "-c", str(run / "nginx.conf")], check=False, capture_output=True
        )
        assert check.returncode == 0, check.stderr.decode()
        with (run / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen(
                [binary, "-p", str(run), "-c", str(run / "nginx.conf")], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert self.process.poll() is None, self.log_tail()
                assert time.monotonic() < deadline, "nginx did not listen:\n" + self.log_tail()
                time.sleep(0.05)
        self.address = f"127.0.0.1:{port}"
        return self

    def requests_logged(self) -> int:
        """Requests nginx has written to its access log so far (one line each)."""
        path = self.directory / "access.log"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def log_tail(self, lines: int = 30) -> str:
        path = self.directory / "error.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
