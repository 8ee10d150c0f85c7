"""The server writes no protocol bytes of its own: every reply word lives in the protocol library.

The wire vocabulary of each protocol is in src/protocol/{text,meta,binary}/vocabulary.h (and the
composers beside it); src/server composes its replies from those constants. This guard keeps it
so: it lexes the C++ string literals of src/server/*.cc and fails, naming file:line, on any literal
that looks like (part of) a reply: one that starts with a status word of memcached's text or meta
protocol (STORED, END, CLIENT_ERROR, HD, EN, ...) or that holds "\\r\\n".

Not scanned: unit tests (*_test.cc, which assert replies and so spell them) and the files listed
in NOT_ON_THE_WIRE, whose strings never reach a client. Needs no server.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER_SOURCES = REPO / "src" / "server"

# Reply words and prefixes of memcached's text protocol (status words, error classes, the
# operator replies) and the meta protocol's reply codes.
REPLY_WORDS = frozenset("""
    STORED NOT_STORED EXISTS NOT_FOUND DELETED TOUCHED END OK ERROR CLIENT_ERROR SERVER_ERROR
    VALUE VERSION STAT RESET BUSY BADCLASS NOSPARE NOTFULL UNSAFE SAME NOTSTARTED
    MEMLIMIT_TOO_SMALL MEMLIMIT_ADJUST_FAILED ITEM PREFIX
    HD VA EN NF NS EX MN ME
""".split())

# Files of src/server whose literals go to stderr or the command line, never to a client.
NOT_ON_THE_WIRE = {
    "command_line.cc": "command-line parsing: usage text and flag errors printed to stderr",
}

_FIRST_WORD = re.compile(r"[A-Z_]+")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v", "?": "?"}


def string_literals(source: str):
    """Yields (line, decoded text) for every string literal in C++ source.

    Skips comments and character literals; understands escapes, encoding prefixes (u8, L, ...)
    and raw strings R"delim(...)delim". Adjacent literals are yielded one by one.
    """
    i, line, n = 0, 1, len(source)
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            i = end
        elif c == "'" and not (i > 0 and (source[i - 1].isalnum() or source[i - 1] == "_")):
            # A character literal (a digit separator such as 1'000 follows a digit: skipped).
            j = i + 1
            while j < n and source[j] != "'":
                j += 2 if source[j] == "\\" else 1
            i = j + 1
        elif c == '"':
            start_line = line
            raw = i > 0 and source[i - 1] == "R"
            if raw:
                paren = source.index("(", i)
                delim = ")" + source[i + 1:paren] + '"'
                end = source.index(delim, paren)
                text = source[paren + 1:end]
                line += text.count("\n")
                i = end + len(delim)
                yield start_line, text
                continue
            j, out = i + 1, []
            while j < n and source[j] != '"':
                if source[j] == "\\" and j + 1 < n:
                    esc = source[j + 1]
                    if esc == "x":
                        m = re.match(r"[0-9a-fA-F]+", source[j + 2:])
                        out.append(chr(int(m.group(0), 16)) if m else "x")
                        j += 2 + (len(m.group(0)) if m else 0)
                        continue
                    out.append(_ESCAPES.get(esc, esc))
                    j += 2
                    continue
                out.append(source[j])
                j += 1
            i = j + 1
            yield start_line, "".join(out)
        else:
            i += 1


def reply_reason(text: str):
    """Why `text` looks like a reply, or None."""
    if "\r\n" in text:
        return 'holds "\\r\\n"'
    m = _FIRST_WORD.match(text.lstrip(" "))
    if m and m.group(0) in REPLY_WORDS:
        rest = text.lstrip(" ")[m.end():]
        # A whole word: "OK", "ERROR ...", "ERROR: ...", not "OKAY" or "ENV".
        if rest == "" or not (rest[0].isalnum() or rest[0] == "_"):
            return f"starts with the reply word {m.group(0)}"
    return None


def offenders(path: Path, root: Path = REPO):
    for line, text in string_literals(path.read_text()):
        why = reply_reason(text)
        if why:
            yield f"{path.relative_to(root)}:{line}: {text!r} {why}"


def server_sources():
    return sorted(p for p in SERVER_SOURCES.glob("*.cc")
                  if not p.name.endswith("_test.cc") and p.name not in NOT_ON_THE_WIRE)


def test_server_sources_hold_no_reply_literals():
    sources = server_sources()
    assert sources, f"no sources found under {SERVER_SOURCES}"
    found = [o for p in sources for o in offenders(p)]
    assert not found, ("reply literals in src/server (use the constants of "
                       "src/protocol/*/vocabulary.h, adding any that is missing):\n  " +
                       "\n  ".join(found))


def test_exempt_files_exist():
    # An exemption for a file that is gone (or renamed) would silently widen the guard's hole.
    for name in NOT_ON_THE_WIRE:
        assert (SERVER_SOURCES / name).is_file(), f"NOT_ON_THE_WIRE names a missing file: {name}"


@pytest.mark.parametrize("source, expected", [
    ('Reply("STORED");', ["STORED"]),
    ('ReplyAlways("CLIENT_ERROR bad data chunk");', ["CLIENT_ERROR"]),
    ('ReplyAlways("ERROR: shutdown not enabled");', ["ERROR"]),
    ('out_.Append("END\\r\\n", 5);', ['"\\r\\n"']),
    ('memcpy(p, "\\r\\n", 2);', ['"\\r\\n"']),
    ('w.Code("HD");', ["HD"]),
    ('x = R"(VALUE k 0 1)";', ["VALUE"]),
    ('put(" ME ");', ["ME"]),
    ('sink("cmd_get", v);', []),
    ('if (sub == "settings") {}', []),
    ('Log("ENV is fine, OKAY too");', []),
    ('// Reply("STORED") in a comment\n/* "END\\r\\n" */', []),
    ("char c = '\"'; f(\"ok\");", []),
])
def test_scanner_finds_what_it_should(source, expected):
    reasons = [reply_reason(text) for _, text in string_literals(source)]
    reasons = [r for r in reasons if r]
    assert len(reasons) == len(expected), (source, reasons)
    for reason, word in zip(reasons, expected):
        assert word in reason


def test_scanner_reports_file_and_line(tmp_path):
    f = tmp_path / "x.cc"
    f.write_text('int a;\n/* two\nlines */\n  Reply("NOT_FOUND");\n')
    found = list(offenders(f, root=tmp_path))
    assert found == ["x.cc:4: 'NOT_FOUND' starts with the reply word NOT_FOUND"]
