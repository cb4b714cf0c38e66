"""`scan --share` and `fix --report FILE --share`: the home folder, the user name and the host
name become `~`, `<user>` and `<host>` in what is printed or written, and nowhere else."""

from __future__ import annotations

import getpass
import io
import json
import os
import platform
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv
from fakeenv import pip_offline as pip
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kerasfix.report import share
from kerasfix.report.share import Redactor, machine_redactor
from kerasfix.report.share_text import redact_text, sharing_console

KERASFIX = [sys.executable, "-m", "kerasfix"]
USER = "qzxuser"  # distinctive: it appears nowhere unless we put it there
ALICE = Redactor(homes=("/home/alice", "/srv/homes/alice", "C:\\Users\\alice", "/"),
                 users=("alice", "ml"), hosts=("gpu-node-7.lab.example", "gpu-node-7", "pc"))


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize("before,after", [
    ("/home/alice/.venv/bin/python", "~/.venv/bin/python"),
    ("/home/alice", "~"),
    ("/srv/homes/alice/x", "~/x"),  # the resolved form of the same home
    ("python at /home/alice.", "python at ~."),
    ("PYTHONPATH=/opt/x:/home/alice/src", "PYTHONPATH=/opt/x:~/src"),
    ("/home/alicex/y", "/home/alicex/y"),  # another user's home is not this one ...
    ("/home/alice-old/y", "/home/<user>-old/y"),  # ... (but the name, a word, is replaced)
    ("/data/home/alice/y", "/data/home/<user>/y"),  # ... nor is a copy elsewhere
    ("/home/alice.txt", "/home/<user>.txt"),
    ("C:\\Users\\alice\\venv\\python.exe", "~\\venv\\python.exe"),
    ("c:/users/ALICE/venv", "~/venv"),  # Windows: either slash, any case
    ("by alice on gpu-node-7.lab.example", "by <user> on <host>"),
    ("Alice@GPU-NODE-7: ok", "<user>@<host>: ok"),
    ("/tmp/pytest-of-alice/x", "/tmp/pytest-of-<user>/x"),
    ("alice_notes malice aliceb", "alice_notes malice aliceb"),  # longer words stay
    ("html, ml, xml and pc-lab", "html, ml, xml and pc-lab"),  # too short for the word rule
])
def test_what_is_replaced(before: str, after: str) -> None:
    assert ALICE.text(before) == after


def test_a_short_user_name_goes_with_its_home() -> None:
    r = Redactor(homes=("/home/ml",), users=("ml",))
    assert r.text("/home/ml/.venv ml html") == "~/.venv ml html"


def test_a_bare_root_is_no_home() -> None:
    assert Redactor(homes=("/", "C:\\", "")).text("/usr/bin/python C:\\x") == \
        "/usr/bin/python C:\\x"


def test_json_is_walked_keys_too() -> None:
    doc = {"/home/alice/x": ["alice", 1, None, True, {"host": "gpu-node-7"}],
           "n": 2.5, "t": ("/home/alice",)}
    assert ALICE.data(doc) == {"~/x": ["<user>", 1, None, True, {"host": "<host>"}], "n": 2.5,
                               "t": ("~",)}
    assert doc["/home/alice/x"][0] == "alice"  # a copy: the original is left alone


def test_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "disk" / USER
    real.mkdir(parents=True)
    link = tmp_path / USER
    link.symlink_to(real)
    monkeypatch.setenv("HOME", str(link))
    monkeypatch.setenv("USER", USER)
    monkeypatch.setenv("LOGNAME", USER)
    monkeypatch.setattr(socket, "gethostname", lambda: "build-box-3.ci.example")
    monkeypatch.setattr(platform, "node", lambda: "build-box-3.ci.example")
    r = machine_redactor()
    text = f"{link}/a {real}/b {USER}-cache build-box-3 build-box-3.ci.example"
    assert r.text(text) == "~/a ~/b <user>-cache <host> <host>"
    assert getpass.getuser() == USER and USER in r.users


# ---------------------------------------------------------------- the terminal


def _console(r: Redactor, width: int) -> tuple[io.StringIO, object]:
    out = io.StringIO()
    return out, sharing_console(r, file=out, width=width, no_color=True, highlight=False,
                                soft_wrap=False)


def test_the_console_redacts_before_layout() -> None:
    out, console = _console(ALICE, 36)
    long_path = "/home/alice/" + "deep/" * 12 + "python"
    table = Table("who", "where")
    table.add_row("alice", Text(long_path, style="dim"))
    console.print(Panel(table, title="alice on gpu-node-7"))  # type: ignore[attr-defined]
    console.print(long_path)  # type: ignore[attr-defined]
    console.rule(Text("gpu-node-7"))  # type: ignore[attr-defined]
    shown = out.getvalue()
    flat = re.sub(r"[\s│┃╭╮╰╯─]+", "", shown)  # folded lines joined again
    assert "alice" not in flat and "gpu-node-7" not in flat and "/home" not in flat
    assert "<user>" in shown and "<host>" in shown and "~/deep/" in shown


def test_styles_survive_unless_a_name_spans_two() -> None:
    text = Text.assemble(("Do: ", "bold"), ("cd /home/alice/src", "green"))
    red = redact_text(text, ALICE)
    assert red.plain == "Do: cd ~/src" and {str(s.style) for s in red.spans} == {"bold", "green"}
    split = Text.assemble(("by ali", "bold"), ("ce", "red"))
    assert redact_text(split, ALICE).plain == "by <user>"
    same = Text("nothing here", style="red")
    assert redact_text(same, ALICE) is same


# ---------------------------------------------------------------- the commands


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "homes" / USER
    path.mkdir(parents=True)
    return path


def _environ(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HOME": str(home), "USER": USER, "LOGNAME": USER, "USERNAME": USER, **extra}


def _secrets(home: Path) -> list[str]:
    """What must not be left: the home, this user (the test's and the real one), this host."""
    import pwd

    real_user = pwd.getpwuid(os.getuid()).pw_name
    names = [USER, real_user, socket.gethostname(), socket.gethostname().split(".")[0]]
    return [str(home)] + [n for n in names if len(n) >= share.MIN_WORD]


def _leaks(text: str, home: Path) -> list[str]:
    return [s for s in _secrets(home)
            if re.search(r"(?<!\w)" + re.escape(s) + r"(?!\w)", text, re.IGNORECASE)]


@pytest.fixture
def shared_env(tmp_path: Path, home: Path) -> FakeEnv:
    """A venv in the home; a PYTHONPATH entry named after the host; a working folder whose name
    only starts with the user name (a longer word: it stays)."""
    fake = make_venv(home / "proj")
    fake.healthy("2.15.1")
    fake.keras("3.15.1")  # Keras 3 under TF 2.15: a finding that names paths
    fake.cwd = tmp_path / f"{USER}s-html"
    fake.cwd.mkdir()
    fake.env["PYTHONPATH"] = str(tmp_path / socket.gethostname() / "lib")
    return fake


def _scan(fake: FakeEnv, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KERASFIX, "scan", "--python", fake.python, *args],
                          capture_output=True, text=True, timeout=120, cwd=fake.cwd,
                          env=_environ(home, PYTHONPATH=fake.env["PYTHONPATH"], **env))


@pytest.mark.skipif(os.name != "posix", reason="pwd and a POSIX venv layout")
def test_scan_share_json(shared_env: FakeEnv, home: Path) -> None:
    plain = _scan(shared_env, home, "--json")
    assert str(home) in plain.stdout and USER in plain.stdout  # there is something to hide
    proc = _scan(shared_env, home, "--json", "--share")
    assert proc.returncode == plain.returncode == 1 and proc.stderr == ""
    assert _leaks(proc.stdout, home) == []
    doc = json.loads(proc.stdout)
    assert doc["target"]["python"] == "~/proj/venv/bin/python"
    assert doc["target"]["cwd"].endswith(f"/{USER}s-html")  # a longer word is not the name
    assert "/tmp/pytest-of-<user>/" in doc["target"]["cwd"] or "pytest-of" not in doc["target"][
        "cwd"]
    paths = [e["path"] for e in doc["sys_path"] if e["origin"] == "pythonpath"]
    host = socket.gethostname()
    if len(host) >= share.MIN_WORD:
        assert paths and paths[0].endswith("/<host>/lib")
    assert {d["location"] for d in doc["distributions"]} == {
        "~/proj/venv/lib/python{}.{}/site-packages".format(*sys.version_info[:2])}
    assert doc["exit_code"] == 1 and doc["fail_on"] == "error"  # decided before redaction


@pytest.mark.skipif(os.name != "posix", reason="pwd and a POSIX venv layout")
def test_scan_share_text(shared_env: FakeEnv, home: Path) -> None:
    proc = _scan(shared_env, home, "--share", NO_COLOR="1", COLUMNS="60")
    assert proc.returncode == 1, proc.stderr
    assert "~/proj/venv/bin/python" in proc.stdout
    assert _leaks(proc.stdout, home) == [] and _leaks(_flat(proc.stdout), home) == []
    plain = _scan(shared_env, home, NO_COLOR="1", COLUMNS="60").stdout
    assert str(home) not in plain and str(home) in _flat(plain)  # folded: redacting lines fails


def _flat(shown: str) -> str:
    """Folded lines joined again, panel borders and indents dropped."""
    return re.sub(r"\s*│?\n│?\s*", "", shown)


@pytest.mark.skipif(os.name != "posix", reason="pwd and a POSIX venv layout")
@pytest.mark.parametrize("name", ["audit.md", "audit.json"])
def test_fix_report_share(tmp_path: Path, home: Path, wheelhouse: Path, name: str) -> None:
    fake = make_venv(home / "proj")
    pip(fake, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(fake, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")  # one folder, two owners
    report = home / name
    proc = subprocess.run(
        [*KERASFIX, "fix", "--python", fake.python, "--dry-run", "--report", str(report),
         "--share", "--find-links", str(wheelhouse), "--no-index", "--no-verify"],
        capture_output=True, text=True, timeout=300, cwd=fake.root / "work",
        env=_environ(home, KERASFIX_STATE_DIR=str(tmp_path / "state"), NO_COLOR="1",
                     COLUMNS="80"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    written = report.read_text()
    assert _leaks(written, home) == [] and _leaks(proc.stdout, home) == []
    assert "~/proj/venv" in written and "~/proj/venv" in proc.stdout
    if name.endswith(".json"):
        doc = json.loads(written)
        assert doc["user"] == "<user>" and doc["target"]["prefix"] == "~/proj/venv"
        assert doc["host"] == ("<host>" if len(socket.gethostname()) >= share.MIN_WORD
                               else socket.gethostname())
    else:
        assert "by <user> on " in written
