"""`--share`: output fit to paste into a public issue. The home folder becomes `~`, the user
name `<user>` and the host name `<host>`.

Only what is shown or written is redacted, never what the engine decides (the exit code is
computed first). The text is changed before it is laid out (see share_text), so a path folded
at the terminal's edge cannot slip through in two halves.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kerasfix.textsafe import _Walk

T = TypeVar("T")

HOME = "~"
USER = "<user>"
HOST = "<host>"
MIN_WORD = 3  # shorter names ("ml", "pc") are words in everything; only a home path hides them

# A name is a whole word: no letter, digit or underscore on either side (user "ml" leaves
# "html" alone). A home ends where a path component ends ("/home/al" is not "/home/alice").
_HOME_BEFORE = r"(?<![\w.\-/\\])"
_HOME_AFTER = r"(?![\w\-]|\.\w)"
_WINDOWS_HOME = re.compile(r"^[A-Za-z]:[\\/]|\\")


def _home_pattern(home: str) -> str:
    """A home folder as a regex; a Windows one with either slash, in any case (so is NTFS)."""
    if not _WINDOWS_HOME.search(home):
        return re.escape(home)
    parts = re.split(r"[\\/]+", home)
    return "(?i:" + r"[\\/]+".join(re.escape(p) for p in parts) + ")"


def _clean_homes(homes: Iterable[str]) -> list[str]:
    """Absolute, not a bare root ("/" or "C:\\" would turn every path into "~"), longest first."""
    out = set()
    for home in homes:
        home = home.rstrip("/\\")
        if not home or home.endswith(":") or not re.match(r"^(/|[A-Za-z]:[\\/]|\\\\)", home + "/"):
            continue
        out.add(home)
    return sorted(out, key=len, reverse=True)


@dataclass(frozen=True)
class Redactor:
    """Replaces the given homes, users and hosts in text and in JSON-like data."""

    homes: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    _homes: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _words: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _names: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        homes = _clean_homes(self.homes)
        names = {h.lower(): HOST for h in self.hosts if len(h) >= MIN_WORD}
        names.update({u.lower(): USER for u in self.users if len(u) >= MIN_WORD})
        words = sorted(names, key=len, reverse=True)  # "alice-laptop" before "alice"
        home_re = (re.compile(_HOME_BEFORE + "(?:" + "|".join(_home_pattern(h) for h in homes)
                              + ")" + _HOME_AFTER) if homes else None)
        word_re = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)",
                              re.IGNORECASE) if words else None)
        object.__setattr__(self, "_homes", home_re)
        object.__setattr__(self, "_words", word_re)
        object.__setattr__(self, "_names", names)

    def text(self, text: str) -> str:
        """`text` with the homes (first: they hold the user name), hosts and users replaced."""
        if self._homes is not None:
            text = self._homes.sub(HOME, text)
        if self._words is not None:
            text = self._words.sub(lambda m: self._names[m.group().lower()], text)
        return text

    def data(self, obj: T) -> T:
        """A copy of strings, lists, tuples, dicts (keys too) and dataclasses with every string
        redacted: a JSON document, or a scan result for a renderer. Parts that need no change
        are shared, not copied; other types (enums, versions) pass through."""
        walked: T = _RedactingWalk(self).walk(obj)
        return walked


class _RedactingWalk(_Walk):
    """textsafe's walk (the one that rebuilds a dataclass as its own type), redacting."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__(keep="")
        self.redactor = redactor

    def walk(self, obj: Any) -> Any:
        if type(obj) is str:  # not a str enum: those keep their identity
            new = self.redactor.text(obj)
            return obj if new == obj else new
        return super().walk(obj)


def _account() -> tuple[str, str]:
    """This user's (name, home) in the password database; empty where there is none."""
    try:
        import pwd

        entry = pwd.getpwuid(os.getuid())
    except (ImportError, KeyError, OSError):  # Windows; a uid without an entry (containers)
        return "", ""
    return entry.pw_name, entry.pw_dir


def _home_folders() -> set[str]:
    homes = {os.path.expanduser("~"), os.environ.get("HOME", ""),
             os.environ.get("USERPROFILE", ""), _account()[1]}
    homes.discard("")
    return homes | {os.path.realpath(h) for h in homes}  # /home/alice -> /Users/alice, links


def _user_names() -> set[str]:
    users = {os.environ.get(key, "") for key in ("USER", "USERNAME", "LOGNAME")}
    users.add(_account()[0])
    with contextlib.suppress(KeyError, OSError):  # no name at all for this uid
        users.add(getpass.getuser())
    users.discard("")
    return users


def _host_names() -> set[str]:
    hosts = {socket.gethostname(), platform.node(), os.environ.get("COMPUTERNAME", "")}
    hosts |= {h.split(".")[0] for h in hosts}
    hosts.discard("")
    return hosts


def machine_redactor() -> Redactor:
    """The redactor for this machine and this user."""
    return Redactor(tuple(sorted(_home_folders())), tuple(sorted(_user_names())),
                    tuple(sorted(_host_names())))
