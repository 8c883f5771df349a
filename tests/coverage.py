#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Coverage of the end-to-end cases: every stage label, every RFC 9293
state name and every anomaly name of the core must be both produced and
excluded by some case in tests/e2e/.

    python3 tests/coverage.py             check, print what is missing
    python3 tests/coverage.py --verbose   also list the cases covering each name

The names come from TS_STAGE_LIST, TS_STATE_LIST and TS_ANOMALY_LIST in
plugin/tcpstate_core.h.  A name is

  positive  when it appears in the expected output of at least one case:
            in a fields-mode case, as a value of its own column
            (tcpstate.stage; tcpstate.{client,server}.{before,after};
            tcpstate.anomaly, whose values are comma-separated), in a
            raw-mode case anywhere in the expected text as a whole word;

  negative  when at least one case rules it out:
            - a must_not_contain regex naming it: it matches a line carrying
              the name (the bare name, or a fields line with the name in its
              column) and no longer matches once the name is replaced by a
              neutral word (so '\t\S' rules out nothing in particular), or
            - a fields-mode case with an 'expect:' section whose field list
              includes the name's column, whose expected output does not
              contain the name in that column, and which either has no
              display filter or only the presence filter of that column
              (e.g. 'filter: tcpstate.anomaly'), so the expected lines are
              all the packets that could carry the name.

Exit status: 0 complete, 1 something missing, 2 usage or setup error.
Case files that cannot be parsed are reported on stderr and skipped.
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
HEADER = os.path.join(TOP, "plugin", "tcpstate_core.h")

sys.path.insert(0, HERE)
import e2e  # noqa: E402  (the case parser shared with the test runner)

CATEGORIES = [
    # (category, header macro, columns of the fields output)
    ("stage", "TS_STAGE_LIST", ["tcpstate.stage"]),
    ("state", "TS_STATE_LIST", ["tcpstate.client.before", "tcpstate.client.after",
                                "tcpstate.server.before", "tcpstate.server.after"]),
    ("anomaly", "TS_ANOMALY_LIST", ["tcpstate.anomaly"]),
]


class SetupError(Exception):
    pass


def macro_body(text, macro):
    """The body of '#define MACRO(X) ...' with its line continuations."""
    m = re.search(r"^#define\s+%s\(X\)(.*)$" % re.escape(macro), text, re.M)
    if not m:
        raise SetupError("%s not found in %s" % (macro, HEADER))
    body = []
    rest = text[m.start(1):].split("\n")
    for line in rest:
        body.append(line.rstrip().rstrip("\\"))
        if not line.rstrip().endswith("\\"):
            break
    return "\n".join(body)


def header_names():
    """{category: [names in header order]}: the first string of each X(...)."""
    try:
        with open(HEADER, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SetupError("cannot read %s: %s" % (HEADER, e))
    out = {}
    for cat, macro, _ in CATEGORIES:
        names = re.findall(r'\bX\(\s*\w+\s*,\s*"((?:[^"\\]|\\.)*)"', macro_body(text, macro))
        if not names:
            raise SetupError("%s has no entries" % macro)
        out[cat] = names
    return out


def load_cases():
    cases = []
    for path in e2e.find_cases([]):
        try:
            cases.append(e2e.Case(path))
        except e2e.CaseError as e:
            print("coverage: skipping unreadable case: %s" % e, file=sys.stderr)
    return cases


def column_values(case, columns):
    """Every value of the given columns in the case's expected output."""
    idx = [i for i, f in enumerate(case.fields) if f in columns]
    vals = set()
    for line in case.expect or []:
        cols = line.split("\t")
        for i in idx:
            if i < len(cols):
                vals.update(v for v in cols[i].split(",") if v)
    return vals


def word_in(name, text):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(name), text) is not None


def sample_lines(case, name, columns):
    """Lines that would carry the name: the bare name and, for a fields
    case with one of the columns, a line with the name in that column."""
    lines = [name]
    for i, f in enumerate(case.fields):
        if f in columns:
            cols = ["1" if g == "frame.number" else "" for g in case.fields]
            cols[i] = name
            lines.append("\t".join(cols))
    return lines


def names_it(rx, case, name, columns):
    """Does the must_not_contain regex rule out this very name?"""
    for line in sample_lines(case, name, columns):
        if rx.search(line) and not rx.search(line.replace(name, "zzz")):
            return True
    return False


def full_output_excludes(case, columns):
    """Can the case's expected output serve as a negative for the columns?"""
    if case.mode != "fields" or case.expect is None:
        return False
    if not any(f in columns for f in case.fields):
        return False
    if case.filter is None:
        return True
    return case.filter.strip() in columns


def analyse(names, cases):
    report = {}
    for cat, _, columns in CATEGORIES:
        for name in names[cat]:
            pos, neg = [], []
            for c in cases:
                if c.expect is not None:
                    if c.mode == "fields":
                        if name in column_values(c, columns):
                            pos.append(c.name)
                    elif word_in(name, "\n".join(c.expect)):
                        pos.append(c.name)
                if any(names_it(rx, c, name, columns) for rx in c.must_not):
                    neg.append(c.name + " (must_not_contain)")
                elif full_output_excludes(c, columns) and name not in column_values(c, columns):
                    neg.append(c.name)
            report[(cat, name)] = (pos, neg)
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="list the cases covering each name")
    opts = ap.parse_args()
    try:
        names = header_names()
    except SetupError as e:
        print("coverage: %s" % e, file=sys.stderr)
        return 2
    cases = load_cases()
    if not cases:
        print("coverage: no case files in %s" % e2e.CASE_DIR, file=sys.stderr)
        return 2
    report = analyse(names, cases)
    missing = []
    for (cat, name), (pos, neg) in report.items():
        if not pos:
            missing.append("%-8s %-32s no case produces it" % (cat, '"%s"' % name))
        if not neg:
            missing.append("%-8s %-32s no case rules it out" % (cat, '"%s"' % name))
        if opts.verbose:
            print("%-8s %-32s +%d -%d  e.g. + %s  - %s"
                  % (cat, '"%s"' % name, len(pos), len(neg),
                     pos[0] if pos else "NONE", neg[0] if neg else "NONE"))
    total = len(report)
    plural = {"stage": "stages", "state": "states", "anomaly": "anomalies"}
    counts = ", ".join("%d %s" % (len(names[c]), plural[c]) for c, _, _ in CATEGORIES)
    if missing:
        print("coverage: FAIL (%s; %d cases)" % (counts, len(cases)))
        for m in missing:
            print("  " + m)
        return 1
    print("coverage: OK, all %d names (%s) produced and ruled out by the %d cases"
          % (total, counts, len(cases)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
