#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print columns of a Zeek ASCII log by name, reading its header the way
zeek-cut does: '#separator' (with \\xNN escapes) sets the field separator,
'#fields' names the columns, every other '#' line is skipped.

    python3 tests/zeek_cut.py [-n] [COLUMN...] < conn.log

No COLUMN: all of them.  -n: every column but the named ones.  Output is
tab-separated; a column the log does not have prints as empty.  Exit 2 on
a log without '#fields' before its first record.
"""
import sys


def unescape(text):
    """'\\x09' -> tab, as zeek-cut reads the #separator line."""
    return text.encode("latin-1").decode("unicode_escape")


def cut(lines, wanted, negate=False):
    sep = "\t"
    fields = None
    index = None
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("#separator "):
            sep = unescape(line[len("#separator "):])
            continue
        if line.startswith("#"):
            parts = line[1:].split(sep)
            if parts[0] == "fields":
                fields = parts[1:]
                if negate:
                    names = [f for f in fields if f not in wanted]
                else:
                    names = wanted or fields
                index = [fields.index(n) if n in fields else None for n in names]
            continue
        if not line:
            continue
        if index is None:
            raise ValueError("record before any #fields line")
        values = line.split(sep)
        yield "\t".join(values[i] if i is not None and i < len(values) else ""
                        for i in index)


def main(argv):
    args = argv[1:]
    negate = bool(args) and args[0] == "-n"
    if negate:
        args = args[1:]
    if any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        for out in cut(sys.stdin, args, negate):
            print(out)
    except ValueError as e:
        print("zeek_cut.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
