#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end tests: run tshark with the built plugin on a capture and
compare its output with what a case file expects.

    python3 tests/e2e.py                  run every case in tests/e2e/
    python3 tests/e2e.py NAME [NAME...]   run some (name, file name or path)
    python3 tests/e2e.py --list           list the cases
    python3 tests/e2e.py --print NAME     print tshark's actual output for a
                                          case (to write its expectation --
                                          which a human must then check
                                          against RFC 9293, not paste blindly)
    python3 tests/e2e.py --check-fields   the contract fields are registered
    python3 tests/e2e.py --check-loaded   tshark loads the plugin

Case file (tests/e2e/NAME.case), "key: value" lines, '#' comments:

    capture: client_close.pcap        file in captures/ (or a path from the
                                      source tree root)
    args: -2 -o tcpstate.language:zh  extra tshark arguments (shell quoting)
    filter: tcp.port == 80            display filter (-Y)
    fields: frame.number tcpstate.stage ...
    must_not_contain: <regex>         fail if any output line matches
    must_contain: <regex>             fail if no output line matches
    exit_status: 1                    tshark's expected exit status (default 0)
    stderr_contains: <regex>          fail if no line of stderr matches
    expect:
    1<TAB>Handshake 1/3: SYN<TAB>...
    ...                               (to the end of the file)

fields mode (default) runs
    run-tshark.sh -r captures/CAPTURE -T fields -E separator=/t -e F1 -e F2 ...
and compares line by line (trailing blanks and trailing empty lines are
ignored; boolean columns printed as True/False by newer Wireshark count as
1/0; inside expect, lines starting with '#' are comments).

    mode: raw
    command: -r captures/x.pcap -q -z tcpstate,conns
    expect:
    ...

raw mode runs run-tshark.sh with the command's arguments (plus -r CAPTURE
when capture: is given, plus args) and compares the whole stdout verbatim
(trailing blanks ignored; no comments inside expect).

Exit status: 0 all passed, 1 some failed, 2 usage or setup error.
"""

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CASE_DIR = os.path.join(HERE, "e2e")
CAPTURE_DIR = os.path.join(TOP, "captures")
WRAPPER = os.path.join(HERE, "run-tshark.sh")
CORE_HEADER = os.path.join(TOP, "plugin", "tcpstate_types.h")

# The field names other tools and documentation rely on.
CONTRACT_FIELDS = [
    "tcpstate",
    "tcpstate.stage", "tcpstate.stage_local", "tcpstate.phase", "tcpstate.step",
    "tcpstate.client.before", "tcpstate.client.after",
    "tcpstate.server.before", "tcpstate.server.after",
    "tcpstate.sender", "tcpstate.closer", "tcpstate.teardown_role",
    "tcpstate.retransmission", "tcpstate.inferred", "tcpstate.explanation",
    "tcpstate.related_frame", "tcpstate.conn",
    "tcpstate.time.syn_to_synack", "tcpstate.time.synack_to_ack",
    "tcpstate.time.teardown",
    "tcpstate.zeek.conn_state", "tcpstate.zeek.history",
    "tcpstate.anomaly",
    "tcpstate.conn.outcome", "tcpstate.conn.client_final",
    "tcpstate.conn.server_final", "tcpstate.conn.zeek_state",
    "tcpstate.conn.anomaly",
]

KEYS = {"capture", "args", "filter", "fields", "must_not_contain",
        "must_contain", "mode", "command", "expect", "exit_status",
        "stderr_contains"}


class CaseError(Exception):
    pass


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.capture = None
        self.args = []
        self.filter = None
        self.fields = []
        self.must_not = []
        self.must = []
        self.mode = "fields"
        self.command = None
        self.expect = None
        self.exit_status = 0        # tshark's expected exit status
        self.stderr_must = []       # regexes stderr must match
        self._parse()

    def _parse(self):
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            where = "%s:%d" % (self.path, i + 1)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^([a-z_]+):\s?(.*)$", line)
            if not m or m.group(1) not in KEYS:
                raise CaseError("%s: expected 'key: value', got %r" % (where, line))
            key, value = m.group(1), m.group(2).strip()
            if key == "expect":
                if value:
                    raise CaseError("%s: expected lines go below 'expect:'" % where)
                self.expect = lines[i + 1:]
                break
            if key == "capture":
                self.capture = value
            elif key == "args":
                self.args += shlex.split(value)
            elif key == "filter":
                self.filter = value
            elif key == "fields":
                self.fields += value.split()
            elif key == "must_not_contain":
                self.must_not.append(self._regex(value, where))
            elif key == "must_contain":
                self.must.append(self._regex(value, where))
            elif key == "mode":
                if value not in ("fields", "raw"):
                    raise CaseError("%s: mode is 'fields' or 'raw'" % where)
                self.mode = value
            elif key == "command":
                self.command = shlex.split(value)
            elif key == "exit_status":
                self.exit_status = int(value)
            elif key == "stderr_contains":
                self.stderr_must.append(self._regex(value, where))
        if self.expect is None and not self.must and not self.must_not and not self.stderr_must:
            raise CaseError("%s: no 'expect:' section and no must_(not_)contain" % self.path)
        if self.expect is not None:
            self.expect = normalize_lines(self.expect, comments=self.mode == "fields")
        if self.mode == "fields" and not self.fields:
            raise CaseError("%s: 'fields:' missing" % self.path)
        if self.mode == "raw" and self.command is None:
            raise CaseError("%s: mode raw needs 'command:'" % self.path)
        if self.mode == "fields" and self.capture is None:
            raise CaseError("%s: 'capture:' missing" % self.path)

    @staticmethod
    def _regex(value, where):
        try:
            return re.compile(value)
        except re.error as e:
            raise CaseError("%s: bad regex %r: %s" % (where, value, e))

    def capture_path(self):
        if self.capture is None:
            return None
        for cand in (os.path.join(CAPTURE_DIR, self.capture),
                     os.path.join(TOP, self.capture)):
            if os.path.isfile(cand):
                return cand
        raise CaseError("%s: capture not found: %s (looked in %s)"
                        % (self.path, self.capture, CAPTURE_DIR))

    def tshark_args(self):
        args = []
        cap = self.capture_path()
        if self.mode == "raw":
            if cap:
                args += ["-r", cap]
            args += self.command
        else:
            args += ["-r", cap, "-T", "fields", "-E", "separator=/t"]
            for f in self.fields:
                args += ["-e", f]
        args += self.args
        if self.filter:
            args += ["-Y", self.filter]
        return args


def normalize_lines(lines, comments=False):
    out = [l.rstrip() for l in lines]
    if comments:
        out = [l for l in out if not l.startswith("#")]
    while out and not out[-1]:
        out.pop()
    return out


def normalize_bool(line):
    # Wireshark 4.0 prints FT_BOOLEAN fields as 1/0, later versions may
    # print True/False: compare them as 1/0.
    cols = line.split("\t")
    # (several TCP layers give a comma-separated list: "False,False")
    return "\t".join(",".join({"True": "1", "False": "0"}.get(v, v) for v in c.split(","))
                     for c in cols)


def run_wrapper(args):
    """Runs tests/run-tshark.sh ARGS from the source tree root."""
    proc = subprocess.run([WRAPPER] + args, cwd=TOP, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    return proc.returncode, out, err


def show_cmd(args):
    return "tests/run-tshark.sh " + " ".join(shlex.quote(os.path.relpath(a, TOP)
                                                          if os.path.isabs(a) and a.startswith(TOP) else a)
                                              for a in args)


def readable_diff(case, expected, actual):
    """A per-line, per-column explanation followed by a unified diff."""
    msgs = []
    if case.mode == "fields":
        n = max(len(expected), len(actual))
        shown = 0
        for i in range(n):
            e = expected[i] if i < len(expected) else None
            a = actual[i] if i < len(actual) else None
            if e is not None and a is not None and normalize_bool(e) == normalize_bool(a):
                continue
            shown += 1
            if shown > 20:
                msgs.append("  ... more differing lines")
                break
            if e is None:
                msgs.append("  line %d: unexpected extra output: %r" % (i + 1, a))
                continue
            if a is None:
                msgs.append("  line %d: missing, expected: %r" % (i + 1, e))
                continue
            ecols, acols = e.split("\t"), a.split("\t")
            label = "line %d" % (i + 1)
            if case.fields and case.fields[0] == "frame.number" and acols:
                label += " (frame %s)" % acols[0]
            msgs.append("  %s:" % label)
            for j in range(max(len(ecols), len(acols), len(case.fields))):
                ev = ecols[j] if j < len(ecols) else "<missing>"
                av = acols[j] if j < len(acols) else "<missing>"
                if normalize_bool(ev) != normalize_bool(av):
                    name = case.fields[j] if j < len(case.fields) else "column %d" % (j + 1)
                    msgs.append("      %-28s expected %r, got %r" % (name, ev, av))
    diff = difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=2)
    return "\n".join(msgs + ["", "  unified diff:"] + ["    " + l for l in diff])


def run_case(case, verbose=True):
    args = case.tshark_args()
    rc, out, err = run_wrapper(args)
    failures = []
    if rc != case.exit_status:
        failures.append("tshark exited with status %d (expected %d)\n%s" % (rc, case.exit_status, err.rstrip()))
    for rx in case.stderr_must:
        if not any(rx.search(l) for l in err.split("\n")):
            failures.append("stderr_contains %r matched no line of stderr:\n    %s" %
                            (rx.pattern, err.rstrip().replace("\n", "\n    ")))
    actual = normalize_lines(out.split("\n"))
    if rc != 0 and not actual:
        pass                    # nothing to compare: the status says it all
    elif case.expect is not None:
        if case.mode == "fields":
            same = [normalize_bool(l) for l in actual] == [normalize_bool(l) for l in case.expect]
        else:
            same = actual == case.expect
        if not same:
            failures.append("output differs from expect:\n" + readable_diff(case, case.expect, actual))
    for rx in (case.must_not if actual or rc == 0 else []):
        hits = [l for l in actual if rx.search(l)]
        if hits:
            failures.append("must_not_contain %r matched:\n%s" % (rx.pattern,
                            "\n".join("    " + h for h in hits[:10])))
    for rx in (case.must if actual or rc == 0 else []):
        if not any(rx.search(l) for l in actual):
            failures.append("must_contain %r matched no line" % rx.pattern)
    if failures:
        print("FAIL %s\n  command: %s" % (case.name, show_cmd(args)))
        for f in failures:
            print("  " + f.replace("\n", "\n  "))
        if err.strip() and rc == 0:
            print("  tshark stderr:\n    " + err.rstrip().replace("\n", "\n    "))
        return False
    if verbose:
        print("PASS %s" % case.name)
    return True


def find_cases(names):
    if not names:
        if not os.path.isdir(CASE_DIR):
            return []
        return sorted(os.path.join(CASE_DIR, f) for f in os.listdir(CASE_DIR)
                      if f.endswith(".case"))
    paths = []
    for n in names:
        for cand in (n, os.path.join(CASE_DIR, n), os.path.join(CASE_DIR, n + ".case")):
            if os.path.isfile(cand):
                paths.append(os.path.abspath(cand))
                break
        else:
            raise CaseError("no such case: %s" % n)
    return paths


def anomaly_names():
    """The anomaly names of TS_ANOMALY_LIST in the core header."""
    with open(CORE_HEADER, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"#define TS_ANOMALY_LIST\(X\)(.*?)\n\s*\n", text, re.S)
    if not m:
        raise CaseError("TS_ANOMALY_LIST not found in %s" % CORE_HEADER)
    return re.findall(r'X\(\s*TS_AN_\w+\s*,\s*"([a-z0-9_]+)"', m.group(1))


def check_fields():
    rc, out, err = run_wrapper(["-G", "fields"])
    if rc != 0:
        print("FAIL tshark -G fields exited with %d\n%s" % (rc, err))
        return False
    have = set()
    for line in out.split("\n"):
        cols = line.split("\t")
        if len(cols) >= 3 and cols[0] in ("F", "P"):
            have.add(cols[2])
    want = list(CONTRACT_FIELDS)
    want += ["tcpstate.anomaly." + n for n in anomaly_names()]
    missing = [f for f in want if f not in have]
    extra = sorted(f for f in have if f.startswith("tcpstate.") and f not in want)
    if missing:
        print("FAIL fields missing from tshark -G fields:\n  " + "\n  ".join(missing))
        return False
    print("PASS %d contract fields and expert fields registered%s"
          % (len(want), (" (also: %s)" % ", ".join(extra)) if extra else ""))
    return True


def check_loaded():
    ok = True
    rc, out, err = run_wrapper(["-G", "plugins"])
    if rc != 0 or not re.search(r"^tcpstate\.so\s", out, re.M):
        print("FAIL tcpstate.so not in tshark -G plugins (status %d)\n%s%s" % (rc, out, err))
        ok = False
    # Wireshark loads a plugin name once, system folder first: an installed
    # copy (e.g. from `cmake --install` as root) would silently be tested
    # instead of the build.  The tested copy must be run-tshark.sh's.
    built = os.environ.get("TCPSTATE_PLUGIN") or os.path.join(TOP, "build", "tcpstate.so")
    for line in re.findall(r"^tcpstate\.so\s.*$", out, re.M):
        path = line.split("\t")[-1].strip()
        if "/.local/lib/wireshark/plugins/" in path or not os.path.isfile(built):
            continue                # run-tshark.sh's copy of the build
        try:
            same = open(path, "rb").read() == open(built, "rb").read()
        except OSError:
            same = False
        if not same:
            print("FAIL tshark loads %s, an installed copy that differs from the build "
                  "under test (%s) and shadows it: reinstall (cmake --install build) "
                  "or remove it" % (path, built))
            ok = False
    rc, out, err = run_wrapper(["-G", "protocols"])
    if rc != 0 or not re.search(r"^TCP Connection State Machine\tTCPState\ttcpstate(\t|$)", out, re.M):
        print("FAIL protocol tcpstate not in tshark -G protocols (status %d)\n%s" % (rc, err))
        ok = False
    if ok:
        print("PASS plugin loaded")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases", nargs="*", help="case names or files (default: all)")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--print", dest="print_case", metavar="CASE",
                    help="print the actual output of CASE")
    ap.add_argument("--check-fields", action="store_true")
    ap.add_argument("--check-loaded", action="store_true")
    ap.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    opts = ap.parse_args()

    try:
        if opts.check_fields or opts.check_loaded:
            ok = True
            if opts.check_loaded:
                ok = check_loaded() and ok
            if opts.check_fields:
                ok = check_fields() and ok
            return 0 if ok else 1
        if opts.list:
            for p in find_cases(opts.cases):
                try:
                    c = Case(p)
                    print("%-32s %s" % (c.name, c.capture or " ".join(c.command or [])))
                except CaseError as e:
                    print("%-32s BROKEN: %s" % (os.path.basename(p), e))
            return 0
        if opts.print_case:
            case = Case(find_cases([opts.print_case])[0])
            args = case.tshark_args()
            rc, out, err = run_wrapper(args)
            sys.stdout.write(out)
            if err:
                sys.stderr.write(err)
            return 0 if rc == 0 else 2
        paths = find_cases(opts.cases)
        if not paths:
            print("no cases found in %s" % CASE_DIR)
            return 2
        failed = 0
        for p in paths:
            try:
                if not run_case(Case(p), verbose=not opts.quiet):
                    failed += 1
            except CaseError as e:
                print("FAIL %s\n  %s" % (os.path.basename(p), e))
                failed += 1
        if len(paths) > 1:
            print("%d of %d cases passed" % (len(paths) - failed, len(paths)))
        return 1 if failed else 0
    except CaseError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
