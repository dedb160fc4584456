#!/usr/bin/env python3
"""A stateful stand-in for pfctl(8), for tests on Linux.

Anchors and their rules live in the JSON file named by FAKE_FW_STATE; the
anchors hooked into the main ruleset are listed in FAKE_PF_HOOKED (comma
separated). Rules written with `-a NAME -f -` are parsed and printed back
the way FreeBSD 13's pfctl prints them (`pass in quick inet proto tcp from
A to any port = 22 flags S/SA keep state label "_exp_T"`), and a line that
is not a pass rule fails as pfctl does (`stdin:N: syntax error`, exit 1).
Every call is appended to FAKE_FW_STATE + ".log" (with what was written).
"""
import json
import os
import re
import sys

PROTO = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp"}
RULE = re.compile(
    r'^pass in quick (?:(inet6?) )?proto (\S+) from (\S+) to (\S+) port (?:= )?(\d+)'
    r'(?: flags S/SA)?(?: keep state)? label "?(_exp_\d+)"?$')


def load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"anchors": {}}


def normalize(line):
    m = RULE.match(line.strip())
    if m is None:
        return None
    af = m.group(1) or ("inet6" if ":" in m.group(3) else "inet")
    flags = " flags S/SA" if PROTO[m.group(2)] == "tcp" else ""
    return 'pass in quick %s proto %s from %s to %s port = %s%s keep state label "%s"' % (
        af, PROTO[m.group(2)], m.group(3), m.group(4), m.group(5), flags, m.group(6))


def main():
    path = os.environ["FAKE_FW_STATE"]
    hooked = [a for a in os.environ.get("FAKE_PF_HOOKED", "").split(",") if a]
    st = load(path)
    args = sys.argv[1:]
    data = sys.stdin.read() if args[-2:] == ["-f", "-"] else ""
    with open(path + ".log", "a") as f:
        f.write(" ".join(args) + "\n" + "".join("  < %s\n" % l for l in data.splitlines()))
    anchor = args[args.index("-a") + 1] if "-a" in args else None
    if args == ["-s", "Anchor"]:
        for a in hooked:
            print("  %s" % a)
    elif args == ["-s", "rules"]:
        for a in hooked:
            print('anchor "%s" all' % a)
        print("block drop in all")
    elif anchor is not None and args[2:] == ["-s", "rules"]:
        sys.stderr.write("No ALTQ support in kernel\nALTQ related functions disabled\n")
        for r in st["anchors"].get(anchor, []):
            print(r)
    elif anchor is not None and args[2:] == ["-f", "-"]:
        rules = []
        for n, line in enumerate(data.splitlines(), 1):
            if line.strip() == "":
                continue
            r = normalize(line)
            if r is None:
                sys.stderr.write("stdin:%d: syntax error\n" % n)
                sys.exit(1)
            rules.append(r)
        st["anchors"][anchor] = rules
    elif anchor is not None and args[2:] == ["-F", "all"]:
        st["anchors"][anchor] = []
        sys.stderr.write("rules cleared\nnat cleared\n0 tables deleted.\n")
    else:
        sys.stderr.write("pfctl: unknown command: %s\n" % " ".join(args))
        sys.exit(64)
    with open(path + ".tmp", "w") as f:
        json.dump(st, f)
    os.replace(path + ".tmp", path)


main()
