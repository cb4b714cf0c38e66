"""The pasted text: reading it (a message, a file or stdin), cleaning it, and the file paths in
its traceback that reveal a shadowing file, a user-site install or another environment."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import TextIO

from kerasfix.errors import KerasfixError

MAX_TEXT = 2_000_000  # a pasted log beyond this is cut to its tail (the final error is there)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def normalise(text: str) -> str:
    """Windows newlines and ANSI colours gone, cut to the tail."""
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text[-MAX_TEXT:]


@dataclass(frozen=True)
class TracebackPaths:
    files: tuple[str, ...] = ()  # every file path in the text, first seen first
    shadowing: tuple[str, ...] = ()  # keras.py, tensorflow/__init__.py ... outside site-packages
    user_site: tuple[str, ...] = ()  # TF/Keras files loaded from a user site
    site_packages: tuple[str, ...] = ()  # the site-packages folders the traceback ran through


_PATH_RES = (
    re.compile(r'File "(?P<p>[^"\n]+)", line \d+'),
    re.compile(r"from '(?P<p>(?:[A-Za-z]:[\\/]|/)[^'\n]+)'"),
    re.compile(r"\((?P<p>(?:[A-Za-z]:[\\/]|/)[^()\n]+?\.(?:py|so|pyd|dll|dylib)[\d.]*)\)"),
    re.compile(r"(?:^|[\s'\"])(?P<p>(?:[A-Za-z]:\\|/)[^\s'\"():]+\.(?:py|so|pyd|dll|dylib)"
               r"(?:\.\d+)*)"),
)
_SITE_RE = re.compile(r"^(?P<root>.*?[/\\](?:site|dist)-packages)(?=[/\\])")
_USER_SITE_RE = re.compile(
    r"(?:[/\\]\.local[/\\]lib[/\\]python\d\.\d+[/\\]site-packages"
    r"|[/\\]AppData[/\\]Roaming[/\\]Python[/\\]Python\d+[/\\]site-packages"
    r"|[/\\]Library[/\\]Python[/\\]\d\.\d+[/\\]lib[/\\]python[/\\]site-packages)"
    r"[/\\](?:tensorflow|keras|tf_keras)[/\\.]")
_SHADOW_NAMES = ("tensorflow", "keras", "tf_keras", "numpy")
# keras.py, keras/__init__.py or keras/models/__init__.py: the package or one of its
# subpackages, as Python found it
_SHADOW_RE = re.compile(rf"(?:^|[/\\])(?:{'|'.join(_SHADOW_NAMES)})"
                        r"(?:\.py|(?:[/\\]\w+)?[/\\]__init__\.py)$")


def traceback_paths(text: str) -> TracebackPaths:
    files: list[str] = []
    for pattern in _PATH_RES:
        for match in pattern.finditer(text):
            path = match.group("p").strip()
            if path not in files:
                files.append(path)
    outside = [p for p in files if not _SITE_RE.match(p)]
    shadowing = tuple(p for p in outside if _SHADOW_RE.search(p) and not _is_stdlib(p))
    user_site = tuple(p for p in files if _USER_SITE_RE.search(p))
    roots: list[str] = []
    for path in files:
        site = _SITE_RE.match(path)
        if site and site.group("root") not in roots:
            roots.append(site.group("root"))
    return TracebackPaths(tuple(files), shadowing, user_site, tuple(roots))


def _is_stdlib(path: str) -> bool:
    return bool(re.search(r"[/\\]lib[/\\]python\d\.\d+[/\\][^/\\]+$", path))



TEXT_SUFFIXES = (".txt", ".log", ".out", ".err", ".md", ".py", ".ipynb", ".json")


def read_source(arg: str, stdin: TextIO | None = None) -> str:
    """The CLI's TEXT|FILE|- argument as text. What is clearly meant as a file but cannot be
    read, or leaves nothing to explain, is an error (exit 2), never a guess about the text."""
    if arg == "-":
        stream = stdin or sys.stdin
        if stream is None:
            raise KerasfixError("explain -: there is no standard input to read (pass the"
                                " message, or a file holding it)")
        text = stream.read()
    elif len(arg) < 4096 and "\n" not in arg and os.path.isdir(arg):
        raise KerasfixError(f"explain {arg}: a folder; pass a file, the message itself, or -")
    elif len(arg) < 4096 and "\n" not in arg and os.path.isfile(arg):
        with open(arg, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    elif _looks_like_a_path(arg):
        raise KerasfixError(f"explain {arg}: no such file")
    else:
        text = arg
    if not text.strip():
        raise KerasfixError("explain: nothing to explain (the text is empty)")
    return text


def _looks_like_a_path(arg: str) -> bool:
    """One word with a folder separator or a text-file suffix: a file name, not a message."""
    return bool(arg) and not any(c.isspace() for c in arg) and (
        os.sep in arg or arg.lower().endswith(TEXT_SUFFIXES))

