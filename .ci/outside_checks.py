"""Outside checks against the app: bandit on the code, then wapiti and sqlmap against a live
server running the production configuration over HTTPS on 127.0.0.1.

Run by .ci/run (``make security``). Each scanner is bounded in time; the script exits
non-zero on any finding and prints what each check found.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
APP_BIN = ROOT / ".venv" / "bin"
TOOLS_BIN = ROOT / ".venv-tools" / "bin"
PORT = int(os.environ.get("SCAN_PORT", "5443"))
STAFF_EMAIL = "scanner@example.org"
STAFF_PASSWORD = secrets.token_urlsafe(24)
# Time-based SQL injection is sqlmap's part (its blind and time-based techniques). wapiti's
# exec and file modules probe shell commands and file paths, which no route builds from
# input; with timesql they more than doubled the scan, so they are left out.
WAPITI_MODULES = ",".join(
    [
        "xss",
        "permanentxss",
        "sql",
        "csrf",
        "http_headers",
        "cookieflags",
        "csp",
        "crlf",
        "redirect",
        "methods",
    ]
)
UNVERIFIED = ssl._create_unverified_context()  # noqa: S323 — our own self-signed certificate


def say(text: str) -> None:
    print(f"== {text}", flush=True)


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def server_env(instance: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from complaints_app.crypto import new_key

    return {
        **os.environ,
        "APP_ENV": "production",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'scan.sqlite3'}",
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": new_key(),
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # Two workers share their counts through the local Redis, as production must.
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        # The scanners send thousands of requests: the limits are tested by the suite.
        "TRACK_LIMIT_PER_CLIENT": "1000000 per hour",
        "SUBMIT_LIMIT_PER_CLIENT": "1000000 per hour",
        "LOGIN_LIMIT_PER_CLIENT": "1000000 per hour",
        "LOGIN_LIMIT_PER_ACCOUNT": "1000000 per hour",
    }


class Browser:
    """Just enough of a browser to sign in and file a complaint with CSRF tokens."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, path: str, form: dict | None = None) -> str:
        import urllib.parse

        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data)  # noqa: S310 — 127.0.0.1
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=UNVERIFIED), NoRedirect()
        )
        try:
            resp = opener.open(req, timeout=30)
        except urllib.error.HTTPError as exc:
            resp = exc
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return resp.read().decode()

    def hidden(self, page: str) -> dict[str, str]:
        return dict(re.findall(r'name="(csrf_token|submission_token)"[^>]*value="([^"]*)"', page))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for_server(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", context=UNVERIFIED, timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def run(cmd: list[str], timeout: int, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, timeout=timeout, capture_output=True, text=True, **kwargs)  # noqa: S603


def bandit() -> bool:
    say("bandit: medium and high severity")
    done = run(
        [
            str(TOOLS_BIN / "bandit"),
            "-r",
            "complaints_app",
            "config.py",
            "wsgi.py",
            "-ll",
            "-f",
            "json",
            "-q",
        ],
        timeout=300,
        cwd=ROOT,
    )
    report = json.loads(done.stdout or "{}")
    findings = report.get("results", [])
    for f in findings:
        print(f"   {f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}")
    print(f"   bandit: {len(findings)} medium/high finding(s)")
    return not findings


def start_wapiti(out: Path, base: str, cookie: str) -> subprocess.Popen:
    """Start wapiti in the background against its own server."""
    say(f"wapiti against {base} (modules: {WAPITI_MODULES}), in the background")
    return subprocess.Popen(  # noqa: S603
        [
            str(TOOLS_BIN / "wapiti"),
            "-u",
            f"{base}/",
            "-m",
            WAPITI_MODULES,
            "--scope",
            "domain",
            "-x",
            f"{base}/logout",
            "-x",
            f"{base}/track/leave",
            "-x",
            f"{base}/language",
            "-H",
            f"Cookie: {cookie}",
            "--max-scan-time",
            "360",
            "--max-attack-time",
            "60",
            "--flush-session",
            "-f",
            "json",
            "-o",
            str(out / "wapiti.json"),
            "--verify-ssl",
            "0",
        ],
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_wapiti(out: Path, process: subprocess.Popen) -> bool:
    say("wapiti results")
    output, _ = process.communicate(timeout=900)
    report = out / "wapiti.json"
    if not report.exists():
        print(output[-3000:])
        return False
    data = json.loads(report.read_text())
    found = {k: v for k, v in data.get("vulnerabilities", {}).items() if v}
    anomalies = {k: v for k, v in data.get("anomalies", {}).items() if v}
    crawled = data.get("infos", {}).get("crawled_pages_nbr") or len(
        data.get("infos", {}).get("crawled_pages", [])
    )
    for kind, items in {**found, **anomalies}.items():
        for item in items:
            print(f"   {kind}: {item.get('method')} {item.get('path')} {item.get('info')}")
    print(
        f"   wapiti: {crawled} page(s) crawled, {sum(map(len, found.values()))} "
        f"vulnerabilit(y/ies), {sum(map(len, anomalies.values()))} anomal(y/ies)"
    )
    return not found and not anomalies


def start_sqlmap(out: Path, name: str, args: list[str]) -> tuple[str, subprocess.Popen, Path]:
    """Start sqlmap on one target in the background, in a folder of its own. Its blind and
    time-based probes spend most of their time waiting on the server, so the targets run side
    by side (and beside wapiti) rather than one after the other."""
    say(f"sqlmap --level=3 --risk=2: {name}, in the background")
    folder = out / f"sqlmap-{re.sub(r'[^a-z]+', '-', name.lower())}"
    folder.mkdir()
    command = [
        str(TOOLS_BIN / "sqlmap"),
        "--batch",
        "--level=3",
        "--risk=2",
        "--flush-session",
        "--output-dir",
        str(folder),
        "--disable-coloring",
        "--timeout=10",
        *args,
    ]
    # A file, not a pipe: a full pipe would stall sqlmap until its turn to be read.
    with (folder / "output.txt").open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
    return name, process, folder


def finish_sqlmap(name: str, process: subprocess.Popen, folder: Path) -> bool:
    say(f"sqlmap results: {name}")
    process.wait(timeout=900)
    text = (folder / "output.txt").read_text()
    vulnerable = re.findall(r"parameter '([^']+)' (?:is|appears to be) .*injectable", text)
    clean = "do not appear to be injectable" in text
    tested = re.findall(r"testing '([^']+)'", text)
    print(f"   sqlmap: {len(tested)} technique(s) run; injectable: {vulnerable or 'none'}")
    if not clean and not vulnerable:
        print(text[-2000:])
    return clean and not vulnerable


def start_server(
    work: Path, port: int, role: str = "intake"
) -> tuple[subprocess.Popen, str, str, str]:
    """A production-configured server on its own database: (process, base URL, session
    cookie of a staff member of ``role``, a case reference)."""
    instance = work / f"instance-{port}"
    instance.mkdir()
    env = server_env(instance)
    # The scanner cannot read an authenticator app: the scanned role signs in with a password.
    env["TOTP_REQUIRED_ROLES"] = "records,admin"
    flask = [str(APP_BIN / "flask"), "--app", "wsgi"]
    for cmd in (["db", "upgrade"], ["seed"]):
        subprocess.run([*flask, *cmd], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*flask, "create-user", STAFF_EMAIL, "--role", role, "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=STAFF_PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    key, cert = self_signed(instance)
    base = f"https://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [
            str(APP_BIN / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_server(base)
    resident = Browser(base)
    # The form asks one topic per page: start it, answer each step, then send.
    resident.request("/complaints/new")
    csrf = resident.hidden(resident.request("/complaints/new/what-happened"))["csrf_token"]
    for slug, fields in (
        ("what-happened", {"what_happened": ["held_for_ice"], "urgent": "no"}),
        (
            "when-and-where",
            {
                "incident_date": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
                "incident_place": "Central station",
            },
        ),
        ("who-was-involved", {"agency": "police"}),
        ("your-account", {"narrative": "Held after bail for an ICE detainer."}),
        ("files", {}),
        ("contact", {"contact_choice": "anonymous"}),
    ):
        resident.request(f"/complaints/new/{slug}", {"csrf_token": csrf, **fields})
    send = resident.hidden(resident.request("/complaints/new/send"))
    receipt = resident.request("/complaints/new/send", {**send, "consent": "y"})
    reference = re.search(r'id="reference">([^<]+)<', receipt).group(1)
    staff = Browser(base)
    login = staff.request("/login")
    staff.request(
        "/login", {**staff.hidden(login), "email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
    if "Cases" not in staff.request("/staff/cases"):
        raise SystemExit("staff sign-in for the scan failed")
    return server, base, cookie, reference


def main() -> int:
    ok = bandit()
    work = Path(tempfile.mkdtemp(prefix="scan-"))
    servers = []
    try:
        # wapiti crawls and attacks its own server, so its requests cannot change the pages
        # sqlmap compares. It signs in as a supervisor: every case form (allegations, legal
        # hold, reassignment), the account changes awaiting approval and the own-password
        # form are in its reach.
        server, wapiti_base, wapiti_cookie, _ = start_server(work, PORT + 1, "supervisor")
        servers.append(server)
        scanner = start_wapiti(work, wapiti_base, wapiti_cookie)
        server, base, cookie, reference = start_server(work, PORT)
        servers.append(server)
        injections = [
            start_sqlmap(
                work,
                "public tracking form (reference, code)",
                [
                    # No --method: with it, sqlmap fetches the token page with POST as well.
                    "-u",
                    f"{base}/track",
                    "--data",
                    f"reference={reference}&code=AAAA-BBBB-CCCC-DDDD-EEEE-FFFF&csrf_token=x",
                    "--csrf-token",
                    "csrf_token",
                    "--csrf-url",
                    f"{base}/track",
                    "-p",
                    "reference,code",
                ],
            ),
            start_sqlmap(
                work,
                "staff queue filters",
                [
                    "-u",
                    f"{base}/staff/cases?reference=TA&status=submitted&clause=2c&agency=police"
                    "&received_from=2020-01-01&page=1",
                    "--cookie",
                    cookie,
                    # status, agency, dates and page are parsed into enums, dates and integers
                    # before any query; reference and clause reach SQL as text.
                    "-p",
                    "reference,clause",
                    "--threads=4",
                ],
            ),
        ]
        for injection in injections:
            ok &= finish_sqlmap(*injection)
        ok &= finish_wapiti(work, scanner)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    say("outside checks: " + ("no finding" if ok else "FINDINGS — see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
