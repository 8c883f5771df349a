#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check that the example outputs shown in README.md are what the commands
print, so the README cannot drift from the plugin.

    python3 tests/readme-check.py          check every example below
    python3 tests/readme-check.py -v       also print each command's output

Each example names the sentence of the README that introduces its code
block (the first fenced block after that sentence is the example), the
tshark arguments (run through tests/run-tshark.sh, i.e. the fresh build) and
how the block was abridged there:

  exact      every line of the block, with its "<- annotation" removed, is a
             line of the output (leading/trailing blanks ignored), in order;
             a line "..." skips any number of output lines.
  shortened  the README dropped columns or cut lines ("times and TCP options
             shortened", "columns shortened"): each README line's words, in
             order, are a subsequence of the words of one output line, and
             the lines come in order; "..." words match nothing.

Exit status: 0 every example matches, 1 some differ, 2 setup error.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
README = os.path.join(TOP, "README.md")
RUN = os.path.join(HERE, "run-tshark.sh")

# (the README's words just before the block, tshark arguments, comparison)
EXAMPLES = [
    ("with the default Info column labels (`tshark -r captures/client_close.pcap`",
     ["-r", "captures/client_close.pcap"], "shortened"),
    ("The packet details of frame 2 (`tshark -2 -V -O tcpstate`)",
     ["-r", "captures/client_close.pcap", "-2", "-V", "-O", "tcpstate", "-Y", "frame.number == 2"],
     "exact"),
    ("(`tshark -q -z tcpstate,ladder -r captures/fin_ack_close.pcap`",
     ["-q", "-z", "tcpstate,ladder", "-r", "captures/fin_ack_close.pcap"], "exact"),
    ("(`tshark -q -z tcpstate,conns -r captures/mixed.pcap`",
     ["-q", "-z", "tcpstate,conns", "-r", "captures/mixed.pcap"], "shortened"),
]


class SetupError(Exception):
    pass


def block_after(text, marker):
    """The lines of the first fenced code block after marker."""
    at = text.find(marker)
    if at < 0:
        raise SetupError("README.md no longer says %r: update tests/readme-check.py" % marker)
    m = re.search(r"^```[^\n]*\n(.*?)^```", text[at:], re.S | re.M)
    if not m:
        raise SetupError("no code block after %r" % marker)
    return m.group(1).rstrip("\n").split("\n")


def run(args):
    p = subprocess.run(["bash", RUN] + args, cwd=TOP, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        raise SetupError("tshark %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout.split("\n")


def without_annotation(line):
    return re.sub(r"\s+<-\s.*$", "", line).strip()


def is_subsequence(words, of):
    it = iter(of)
    return all(any(w == o for o in it) for w in words)


# Wireshark 4.6 prints relative times with a unit of their size ("23.000
# microseconds") where 4.0 and 4.4 print seconds ("0.000023000 seconds");
# the README shows 4.0's output, so both sides are compared in seconds.
TIME_UNITS = {"seconds": 1.0, "milliseconds": 1e-3, "microseconds": 1e-6, "nanoseconds": 1e-9}


def in_seconds(line):
    return re.sub(r"(\d+\.\d+) (seconds|milliseconds|microseconds|nanoseconds)\b",
                  lambda m: "%.9f seconds" % (float(m.group(1)) * TIME_UNITS[m.group(2)]), line)


def line_matches(readme_line, out_line, how):
    readme_line, out_line = in_seconds(readme_line), in_seconds(out_line)
    if how == "exact":
        return without_annotation(readme_line) == out_line.strip()
    words = [w for w in readme_line.split() if w != "..."]
    out_words = out_line.split()
    # the first word (frame or stream number, or a title) must be the first
    return bool(words) and bool(out_words) and words[0] == out_words[0] and \
        is_subsequence(words, out_words)


def compare(block, out, how):
    """None when every README line is found in order, else a message."""
    pos = 0
    for line in block:
        if line.strip() in ("...", ""):
            continue
        while pos < len(out) and not line_matches(line, out[pos], how):
            pos += 1
        if pos >= len(out):
            return "README line not in the output (in order):\n    %s" % line
        pos += 1
    return None


def main():
    verbose = "-v" in sys.argv[1:]
    try:
        with open(README, encoding="utf-8") as f:
            text = f.read()
        failures = 0
        for marker, args, how in EXAMPLES:
            block = block_after(text, marker)
            out = run(args)
            if verbose:
                print("\n".join(out))
            problem = compare(block, out, how)
            name = "tshark " + " ".join(args)
            if problem:
                failures += 1
                print("FAIL %s\n  %s" % (name, problem))
            else:
                print("ok   %s (%d README lines)" % (name, len(block)))
    except SetupError as e:
        print("readme-check: %s" % e, file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
