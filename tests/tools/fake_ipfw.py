#!/usr/bin/env python3
"""A stateful stand-in for FreeBSD's ipfw(8), for tests on Linux.

It keeps rules, disabled sets and dynamic states in the JSON file named by
FAKE_FW_STATE and prints them back the way FreeBSD 13's ipfw does
(`NNNNN [timestamp] [set N] allow tcp from A to me dst-port 22 setup
keep-state :default // comment`, `# DISABLED ` for rules of disabled sets
with -S, `## Dynamic rules (N M):` then one state per line with -d).
It understands only the commands fwknopd and fwknopd-ts run, plus two test
hooks: `_connect N` and `_disconnect N` add or drop a dynamic state of rule N.
Every call is appended to FAKE_FW_STATE + ".log".
"""
import json
import os
import sys

PROTO = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp"}


def load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"rules": [], "disabled": [], "dyn": []}


def save(path, st):
    with open(path + ".tmp", "w") as f:
        json.dump(st, f)
    os.replace(path + ".tmp", path)


def fail(msg, code=65):
    sys.stderr.write("ipfw: %s\n" % msg)
    sys.exit(code)


def add(st, a):
    # add N set S (check-state | pass P from SRC to DST dst-port PORT [setup] keep-state // C)
    if len(a) < 4 or a[1] != "set" or not a[0].isdigit() or not a[2].isdigit():
        fail("invalid rule: %s" % " ".join(a))
    num, rset, body = int(a[0]), int(a[2]), a[3:]
    if body == ["check-state"]:
        text = "check-state :default"
    else:
        comment = ""
        if "//" in body:
            i = body.index("//")
            comment, body = " // " + " ".join(body[i + 1:]), body[:i]
        if len(body) < 8 or body[0] != "pass" or body[1] not in PROTO or body[2] != "from" \
                or body[4] != "to" or body[6] != "dst-port" or "keep-state" not in body:
            fail("invalid rule: %s" % " ".join(a))
        text = "allow %s from %s to %s dst-port %s%s keep-state :default%s" % (
            PROTO[body[1]], body[3], body[5], body[7],
            " setup" if "setup" in body else "", comment)
    st["rules"].append({"num": num, "set": rset, "text": text})
    print("%05u %s" % (num, text))


def show(st, flags, only_set):
    out = []
    for r in sorted(st["rules"], key=lambda r: r["num"]):
        if only_set is not None and r["set"] != only_set:
            continue
        disabled = r["set"] in st["disabled"]
        if disabled and "-S" not in flags:
            continue
        line = "# DISABLED " if disabled else ""
        line += "%05u " % r["num"]
        if "-T" in flags:
            line += "%10u " % 0
        if "-S" in flags:
            line += "set %d " % r["set"]
        out.append(line + r["text"])
    if "-d" in flags:
        states = [d for d in st["dyn"] if only_set is None or any(
            r["num"] == d and r["set"] == only_set for r in st["rules"])]
        if states:
            out.append("## Dynamic rules (%d %d):" % (len(states), 264 * len(states)))
            for d in states:
                out.append("%05u STATE tcp 192.0.2.200 50312 <-> 198.51.100.1 22 :default" % d)
    if only_set is None:
        out.append("65535 deny ip from any to any")
    if out:
        print("\n".join(out))


def main():
    path = os.environ["FAKE_FW_STATE"]
    st = load(path)
    with open(path + ".log", "a") as f:
        f.write(" ".join(sys.argv[1:]) + "\n")
    flags = [x for x in sys.argv[1:] if x.startswith("-")]
    a = [x for x in sys.argv[1:] if not x.startswith("-")]
    if a[:1] == ["add"]:
        add(st, a[1:])
    elif a[:1] == ["list"]:
        show(st, flags, None)
    elif len(a) == 3 and a[0] == "set" and a[2] == "list":
        show(st, flags, int(a[1]))
    elif a[:2] == ["set", "disable"]:
        st["disabled"] = sorted(set(st["disabled"]) | {int(a[2])})
    elif a[:3] == ["set", "move", "rule"] and a[4] == "to":
        hit = [r for r in st["rules"] if r["num"] == int(a[3])]
        if not hit:
            fail("rule %s not found" % a[3], 71)
        for r in hit:
            r["set"] = int(a[5])
    elif len(a) == 4 and a[0] == "set" and a[2] == "delete":
        before = len(st["rules"])
        st["rules"] = [r for r in st["rules"]
                       if not (r["num"] == int(a[3]) and r["set"] == int(a[1]))]
        if len(st["rules"]) == before:
            fail("rule %s: setsockopt(IP_FW_XDEL): No such process" % a[3], 71)
        st["dyn"] = [d for d in st["dyn"] if d != int(a[3])]
    elif a[:2] == ["delete", "set"]:
        st["rules"] = [r for r in st["rules"] if r["set"] != int(a[2])]
    elif a[:1] == ["_connect"]:
        st["dyn"].append(int(a[1]))
    elif a[:1] == ["_disconnect"]:
        st["dyn"] = [d for d in st["dyn"] if d != int(a[1])]
    else:
        fail("unknown command: %s" % " ".join(sys.argv[1:]), 64)
    save(path, st)


main()
