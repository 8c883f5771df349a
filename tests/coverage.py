#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Coverage of the end-to-end cases: every stage label, every RFC 9293
state name, every anomaly name of the core and every Zeek conn_state value
must be both produced and excluded by some case in tests/e2e/, and every
Zeek history letter must be produced by one.

    python3 tests/coverage.py             check, print what is missing
    python3 tests/coverage.py --verbose   also list the cases covering each name

The names come from TS_STAGE_LIST (its labels from the catalog,
plugin/tcpstate_text.def), TS_STATE_LIST and TS_ANOMALY_LIST in
plugin/tcpstate_types.h and from TS_ZEEK_STATE_LIST in
plugin/tcpstate_zeek.h.  A name is

  positive  when it appears in the expected output of at least one case:
            in a fields-mode case, as a value of its own column
            (tcpstate.stage; tcpstate.{client,server}.{before,after};
            tcpstate.anomaly, whose values are comma-separated;
            tcpstate.zeek.conn_state), in a raw-mode case anywhere in the
            expected text as a whole word -- except Zeek conn_state values,
            which count only in the fields column (short codes like "S1"
            or "SF" are too easily matched by accident in a table);

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
              all the packets that could carry the name.  For a conn_state
              this means a connection shown packet by packet that never
              has that value, so it ends in another one.

History letters: Zeek's letters s h a d f r c g t w i q in both cases
(upper case: originator, lower case: responder) and '^' (roles flipped).
The header has no list of them; HISTORY_LETTERS below is Zeek's documented
set (scripts/base/protocols/conn/main.zeek) minus 'x' (tcpstate produces
'X' only, for tunnel changes).  A letter is covered when it appears in a value of the
tcpstate.zeek.history column of a fields-mode case's expected output; a
letter there that is not in the set is reported too (a typo in a case, or a
letter the plugin should not produce).  Letters need no negative: every
history shown without a letter already rules it out.

Exit status: 0 complete, 1 something missing, 2 usage or setup error.
Case files that cannot be parsed are reported on stderr and skipped.
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
HEADER = os.path.join(TOP, "plugin", "tcpstate_types.h")
ZEEK_HEADER = os.path.join(TOP, "plugin", "tcpstate_zeek.h")
CATALOG = os.path.join(TOP, "plugin", "tcpstate_text.def")

sys.path.insert(0, HERE)
import e2e  # noqa: E402  (the case parser shared with the test runner)

CATEGORIES = [
    # (category, header, macro, columns of the fields output,
    #  whether a whole word of a raw-mode expectation counts as produced)
    ("stage", HEADER, "TS_STAGE_LIST", ["tcpstate.stage"], True),
    ("state", HEADER, "TS_STATE_LIST", ["tcpstate.client.before", "tcpstate.client.after",
                                        "tcpstate.server.before", "tcpstate.server.after"],
     True),
    ("anomaly", HEADER, "TS_ANOMALY_LIST", ["tcpstate.anomaly"], True),
    ("zeek", ZEEK_HEADER, "TS_ZEEK_STATE_LIST", ["tcpstate.zeek.conn_state"], False),
]

HISTORY_COLUMN = "tcpstate.zeek.history"
HISTORY_LETTERS = "shadfrcgtwiq".upper() + "shadfrcgtwiq" + "X^"   # X: tunnel changes, upper case only


class SetupError(Exception):
    pass


def macro_body(text, macro, header):
    """The body of '#define MACRO(X) ...' with its line continuations."""
    m = re.search(r"^#define\s+%s\(X\)(.*)$" % re.escape(macro), text, re.M)
    if not m:
        raise SetupError("%s not found in %s" % (macro, header))
    body = []
    rest = text[m.start(1):].split("\n")
    for line in rest:
        body.append(line.rstrip().rstrip("\\"))
        if not line.rstrip().endswith("\\"):
            break
    return "\n".join(body)


def catalog_english():
    """{message id: English text} from the message catalog."""
    try:
        with open(CATALOG, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SetupError("cannot read %s: %s" % (CATALOG, e))
    return dict(re.findall(r'^TX\(\s*(TX_\w+)\s*,\s*"((?:[^"\\]|\\.)*)"', text, re.M))


def header_names():
    """{category: [names in header order]}: the first string of each X(...)."""
    texts = {}
    out = {}
    for cat, header, macro, _, _ in CATEGORIES:
        if header not in texts:
            try:
                with open(header, encoding="utf-8") as f:
                    texts[header] = f.read()
            except OSError as e:
                raise SetupError("cannot read %s: %s" % (header, e))
        body = macro_body(texts[header], macro, header)
        names = re.findall(r'\bX\(\s*\w+\s*,\s*"((?:[^"\\]|\\.)*)"', body)
        if not names:
            # the stage list names its label by catalog id (tcpstate_text.def)
            ids = re.findall(r'\bX\(\s*\w+\s*,\s*(TX_\w+)', body)
            catalog = catalog_english()
            names = [catalog[i] for i in ids if i in catalog]
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
    for cat, _, _, columns, raw_words in CATEGORIES:
        for name in names[cat]:
            pos, neg = [], []
            for c in cases:
                if c.expect is not None:
                    if c.mode == "fields":
                        if name in column_values(c, columns):
                            pos.append(c.name)
                    elif raw_words and word_in(name, "\n".join(c.expect)):
                        pos.append(c.name)
                if any(names_it(rx, c, name, columns) for rx in c.must_not):
                    neg.append(c.name + " (must_not_contain)")
                elif full_output_excludes(c, columns) and name not in column_values(c, columns):
                    neg.append(c.name)
            report[(cat, name)] = (pos, neg)
    return report


def analyse_history(cases):
    """({letter: [cases producing it]}, {unknown letter: [cases]})."""
    seen = {}
    for c in cases:
        if c.mode != "fields" or c.expect is None:
            continue
        for value in column_values(c, [HISTORY_COLUMN]):
            for ch in value:
                seen.setdefault(ch, set()).add(c.name)
    letters = {ch: sorted(seen.get(ch, ())) for ch in HISTORY_LETTERS}
    unknown = {ch: sorted(v) for ch, v in seen.items() if ch not in HISTORY_LETTERS}
    return letters, unknown


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
    letters, unknown = analyse_history(cases)
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
    # The reference's anomaly table is what users read: every anomaly the core
    # defines must be named there.
    readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "plugin", "README.md")
    with open(readme, encoding="utf-8") as f:
        readme_text = f.read()
    for name in names["anomaly"]:
        if "| `%s` |" % name not in readme_text:
            missing.append("%-8s %-32s not in plugin/README.md's anomaly table" % ("anomaly", '"%s"' % name))
    for ch, pos in letters.items():
        if not pos:
            missing.append("%-8s %-32s no case produces it" % ("history", "'%s'" % ch))
        if opts.verbose:
            print("%-8s %-32s +%d     e.g. + %s"
                  % ("history", "'%s'" % ch, len(pos), pos[0] if pos else "NONE"))
    for ch, where in sorted(unknown.items()):
        missing.append("%-8s %-32s not a Zeek history letter (in %s)"
                       % ("history", repr(ch), ", ".join(where)))
    total = len(report)
    plural = {"stage": "stages", "state": "states", "anomaly": "anomalies",
              "zeek": "Zeek conn_states"}
    counts = ", ".join("%d %s" % (len(names[c[0]]), plural[c[0]]) for c in CATEGORIES)
    counts += ", %d history letters" % len(letters)
    if missing:
        print("coverage: FAIL (%s; %d cases)" % (counts, len(cases)))
        for m in missing:
            print("  " + m)
        return 1
    print("coverage: OK, all %d names produced and ruled out and all %d history letters"
          " produced (%s) by the %d cases" % (total, len(letters), counts, len(cases)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
