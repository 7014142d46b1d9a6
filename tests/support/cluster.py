"""Several Servicebook hosts behind Debian's nginx, on one PostgreSQL: for the cluster tests, `make cluster` and
bench/cluster.py.

Each host is a gunicorn (the project's gunicorn.conf.py, 2 sync workers, `wsgi:app`) with its own port, its own
instance folder (so its own search index) and SERVICEBOOK_HOST; all share DATABASE_URL and one SECRET_KEY (a
session cookie made by one host is good on the others). nginx runs in the foreground (`daemon off`) from a
config generated into a temp folder, round-robin over the hosts; a GET that fails on one host (refused, reset,
timed out, 502/503/504) is tried on the next, a POST is not once it was sent (nginx's default, kept: an edit is
never made twice). When no host can answer, nginx itself answers 503 "try again" with Retry-After.

    with running_postgres("servicebook_cluster") as url:
        with running_cluster(url, folder) as cluster:   # the demo content, host-a and host-b, nginx on a free port
            cluster.kill("host-b"); cluster.start("host-b"); cluster.flask("host-b", "search", "check")

`python -m tests.support.cluster` (what `make cluster` runs) starts a throw-away PostgreSQL with the demo
content, host-a, host-b and nginx on $HOST:$PORT (127.0.0.1:5000), prints where everything is, and stops it all
on Ctrl-C.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.support.gunicorn import ROOT, free_port, stop_process

BIN = Path(sys.executable).parent
NGINX_CANDIDATES = ("/usr/sbin/nginx",)
HOST_NAMES = ("host-a", "host-b", "host-c", "host-d")
DEMO_PASSWORD = "servicebook"  # every demo user's (demo/)
MARK_LINE = "Last cluster edit: "
START_SECONDS = 90  # a preloading master reads jieba's dictionary first; on a busy 2-core machine it takes a while


class NginxUnavailable(Exception):
    """No nginx binary here; the reason is in str(e)."""


def find_nginx() -> str:
    for candidate in (*NGINX_CANDIDATES, shutil.which("nginx")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise NginxUnavailable("nginx not found (looked for /usr/sbin/nginx and on PATH; `apt-get install nginx`)")


@dataclass
class Host:
    """One app host: a gunicorn master and its workers, on `port`, with its own instance folder."""
    name: str
    port: int
    instance: Path
    env: dict
    log: Path
    app: str = "wsgi:app"  # bench/cluster.py serves bench.hello_site:app (the site, and /hello/ beside it)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The master and its workers (the workers are the master's children)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *children(self.process.pid)]


@dataclass
class Cluster:
    database_url: str
    folder: Path
    hosts: dict[str, Host]
    nginx_port: int
    nginx_host: str = "127.0.0.1"
    nginx: subprocess.Popen | None = None
    events: list = field(default_factory=list)  # (monotonic time, what happened), for the tests' reports

    @property
    def url(self) -> str:
        return f"http://{self.nginx_host}:{self.nginx_port}"

    def start(self, name: str) -> None:
        """Start host `name` (again), on its port and instance folder; returns once it answers."""
        host = self.hosts[name]
        with open(host.log, "a") as log:
            host.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{host.port}", host.app],
                cwd=ROOT, env=host.env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        wait_until_answering(host.url + "/login", host.process, host.log)
        self.events.append((time.monotonic(), f"started {name}"))

    def stop(self, name: str) -> None:
        """Stop host `name` gracefully (SIGTERM: the workers finish their requests and write their batches)."""
        process = self.hosts[name].process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill(name)
        self.events.append((time.monotonic(), f"stopped {name}"))

    def kill(self, name: str) -> None:
        """kill -9 host `name`'s master and workers at once, as a crash or a power cut would."""
        host = self.hosts[name]
        for pid in host.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if host.process is not None:
            host.process.wait()
        self.events.append((time.monotonic(), f"killed {name}"))

    def flask(self, name: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        """`flask --app wsgi <args>` as host `name` (its instance folder, SERVICEBOOK_HOST, the database)."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.hosts[name].env,
                              capture_output=True, text=True, timeout=timeout)

    def describe(self) -> str:
        """Where each part is and how to look at it (printed by `make cluster`)."""
        lines = [f"nginx       {self.url}/  (round-robin over the hosts; config {self.folder / 'nginx' / 'nginx.conf'})"]
        for host in self.hosts.values():
            lines.append(f"{host.name:<11} {host.url}/  instance {host.instance}  log {host.log}")
        lines.append(f"PostgreSQL  {self.database_url}")
        first = next(iter(self.hosts.values()))
        lines.append("Each host's search index and how far it follows the change log, e.g. for "
                     f"{first.name}:\n  " + flask_command_line(first, "search", "status"))
        return "\n".join(lines)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def flask_command_line(host: Host, *args: str) -> str:
    settings = " ".join(f"{k}='{host.env[k]}'" for k in ("SERVICEBOOK_HOST", "SERVICEBOOK_INSTANCE", "DATABASE_URL",
                                                          "SECRET_KEY"))
    return f"{settings} {BIN / 'flask'} --app wsgi " + " ".join(args)


def wait_until_answering(url: str, process: subprocess.Popen, log: Path, seconds: float = START_SECONDS) -> None:
    """Until `url` answers at all (any status); raises with the log's tail if the process ends or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=15).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else ""
                raise RuntimeError(f"{url} did not answer (exit code {process.poll()}); {log}:\n{tail}")
            time.sleep(0.1)


def host_env(name: str, instance: Path, database_url: str, secret_key: str, extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SEARCH_INDEX_PATH", "SECRET_KEY", "DATABASE_URL")}
    env |= {"SERVICEBOOK_HOST": name, "SERVICEBOOK_INSTANCE": str(instance), "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key, "SERVICEBOOK_ENV": "development", "TRUSTED_PROXIES": "1", **(extra or {})}
    return env




# --- nginx ------------------------------------------------------------------------------------------------

NGINX_CONF = """\
# Generated by tests/support/cluster.py: nginx in the foreground, everything it writes in {tmp}.
daemon off;
master_process on;
worker_processes 1;
{user}pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status $request_time '
                        'upstream=$upstream_addr upstream_status=$upstream_status '
                        'upstream_time=$upstream_response_time';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 5m;  # the site refuses more than 4 MB itself, with its own page

    upstream servicebook {{
{servers}
    }}

    server {{
        listen {listen};

        location / {{
            proxy_pass http://servicebook;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            # A GET that failed on one host is tried on the next; a POST once sent is not (nginx's default).
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_timeout 15s;
            error_page 502 504 =503 @try_again;
        }}

        # No host could answer (all refused, or all marked failed): say so, as the site's own 503 does.
        location @try_again {{
            default_type text/html;
            add_header Retry-After 5 always;
            return 503 '<!doctype html><title>Try again</title><h1>Servicebook is busy</h1><p>No server could answer just now. Try again in a few seconds.</p>';
        }}
    }}
}}
"""


def nginx_config(tmp: Path, listen: str, ports: list[int]) -> str:
    """The config: round-robin over `ports`; a host that failed is left out for 2 s (max_fails=1), then tried."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports)
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, nginx's workers would run as `nobody` otherwise
    return NGINX_CONF.format(tmp=tmp, user=user, servers=servers, listen=listen)


@contextlib.contextmanager
def running_nginx(folder: Path, listen_host: str, listen_port: int, ports: list[int]):
    """nginx (daemon off) on listen_host:listen_port in front of the hosts on `ports`; yields the process."""
    tmp = folder / "nginx"
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_config(tmp, f"{listen_host}:{listen_port}", ports))
    nginx = find_nginx()
    command = [nginx, "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the generated config:\n{checked.stderr}")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_answering(f"http://{listen_host}:{listen_port}/login", process, tmp / "error.log", seconds=30)
        yield process
    finally:
        stop_process(process, timeout=10, sig=signal.SIGQUIT)  # nginx's graceful stop: it finishes what it proxies


@contextlib.contextmanager
def running_cluster(database_url: str, folder: Path, hosts: int = 2, extra_env: dict | None = None,
                    listen_host: str = "127.0.0.1", listen_port: int | None = None, demo: bool = True,
                    app: str = "wsgi:app"):
    """`hosts` hosts (host-a, host-b, ...) on one database, nginx in front; yields the Cluster, stops it all after.

    With `demo`, host-a migrates the (empty) database and loads the demo content first, as `make run` does
    (`flask init --demo`); then every host builds its search index from the database (`flask search rebuild`),
    so each starts complete whatever the others did."""
    find_nginx()  # before starting anything
    secret_key = secrets.token_hex(32)
    members = {}
    for name in HOST_NAMES[:hosts]:
        instance = folder / name
        instance.mkdir(parents=True, exist_ok=True)
        members[name] = Host(name, free_port(), instance, host_env(name, instance, database_url, secret_key, extra_env),
                             folder / f"{name}.log", app)
    cluster = Cluster(database_url, folder, members, listen_port or free_port(), listen_host)
    try:
        setup = [("host-a", ("init", "--demo"))] if demo else []
        for name, command in setup + [(name, ("search", "rebuild")) for name in members]:
            result = cluster.flask(name, *command)
            if result.returncode != 0:
                raise RuntimeError(f"flask {' '.join(command)} as {name} failed:\n{result.stdout}{result.stderr}")
        for name in members:
            cluster.start(name)
        with running_nginx(folder, listen_host, cluster.nginx_port, [h.port for h in members.values()]) as nginx:
            cluster.nginx = nginx
            yield cluster
    finally:
        for name in members:
            cluster.stop(name)


# --- a browser for the tests and the benchmark --------------------------------------------------------------

@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    headers: dict
    text: str
    started: float  # monotonic
    seconds: float
    error: str = ""


class Browser:
    """One user on one address (nginx's or a host's): a session cookie, a new connection per request (gunicorn's
    sync workers close them), each answer timed; a failed connection is an Answer with status 0, never raised."""

    def __init__(self, url: str, cookie: str = "", timeout: float = 20):
        self.host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        self.port, self.cookie, self.timeout = int(port), cookie, timeout

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text, started,
                            time.monotonic() - started)
            for key, value in response.getheaders():
                if key.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return answer
        except OSError as error:  # refused, reset, timed out
            return Answer(0, {}, "", started, time.monotonic() - started, repr(error))
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> Browser:
        """Through the login form with its CSRF token, as a person would."""
        page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        if page.status != 200 or not token:
            raise RuntimeError(f"the login page answered {page.status} without a CSRF token")
        answer = self.request("POST", "/login", {"csrf_token": token.group(1), "username": username,
                                                 "password": password, "next": ""})
        if answer.status != 302:
            raise RuntimeError(f"logging in as {username} answered {answer.status}: {answer.text[:300]}")
        return self

    def on(self, url: str) -> Browser:
        """The same user (the same cookie) at another address: the hosts share SECRET_KEY."""
        return Browser(url, self.cookie, self.timeout)

    def edit(self, article_id: int, word: str) -> Answer:
        """Save an edit of the article through its edit form (its CSRF token and base version) that puts `word`
        in the body's last line and the change note; a 302 is an acknowledged edit. A failed edit page is
        returned as it came."""
        from bench.concurrency import form_fields

        path = f"/kb/articles/{article_id}/edit"
        page = self.get(path)
        if page.status != 200:
            return page
        fields = form_fields(page.text)
        lines = [line for line in fields["body"].replace("\r\n", "\n").split("\n") if not line.startswith(MARK_LINE)]
        fields["body"] = "\n".join(lines).rstrip("\n") + f"\n\n{MARK_LINE}{word}\n"
        fields["note"] = word
        fields.pop("preview", None)
        fields["save"] = "Save"
        return self.request("POST", path, fields)

    def finds(self, word: str, article_id: int) -> bool:
        """Does this address's search (the JSON API, as the user) find `word` in the article? A corrected query
        ("did you mean") does not count: the word itself must be in the index."""
        answer = self.get(f"/api/v1/search?q={quote(word)}")
        if answer.status != 200:
            return False
        found = json.loads(answer.text)
        return not found.get("did_you_mean") and any(hit["id"] == article_id for hit in found["hits"])


def unique_word() -> str:
    """A word no article has and no other such word is near (so no spelling correction lands on another one)."""
    return "zq" + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))


def main() -> None:
    """`make cluster`: a throw-away PostgreSQL with the demo content, two hosts and nginx, until Ctrl-C."""
    from tests.support.pgserver import running_postgres

    listen_host, listen_port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    folder = Path(tempfile.mkdtemp(prefix="servicebook-cluster-"))
    for signum in (signal.SIGINT, signal.SIGTERM):  # stop as on Ctrl-C (also when started in the background)
        signal.signal(signum, signal.default_int_handler)
    try:
        print("Starting a throw-away PostgreSQL...", flush=True)
        with running_postgres("servicebook") as url:
            print("Loading the demo content, then starting host-a and host-b (each builds its search index first) "
                  "and nginx...", flush=True)
            with running_cluster(url, folder, 2, listen_host=listen_host, listen_port=listen_port) as cluster:
                print(f"\nServicebook on {cluster.url}/ (demo users: staff, editor, publisher, trainer, quality_lead, "
                      "admin; password: servicebook)\n" + cluster.describe() + "\nCtrl-C stops everything.", flush=True)
                while True:
                    time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping nginx, the hosts and PostgreSQL...", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
