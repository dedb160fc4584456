import { assert, assertEquals } from "../../tests/assert.ts";
import { newStanza } from "../config/access_conf.ts";
import { parseAddr } from "../net/addr.ts";
import { POLICY_DEFAULTS } from "./options.ts";
import { commandPlan, type CycleFields, cyclePlan, substitute } from "./plan.ts";

const stanza = (extra: Partial<ReturnType<typeof newStanza>>) => ({
  ...newStanza(3, { file: "access.conf", line: 1 }),
  ...extra,
});
const addr = (t: string) => parseAddr(t)!;

Deno.test("plan: command messages as argv, through sudo as configured, no setpriv for root", () => {
  const plain = commandPlan(stanza({}), "touch /tmp/x 'a b'", POLICY_DEFAULTS);
  // Split on blanks into argv: no shell, so no quoting either.
  assertEquals(plain, {
    kind: "command",
    stanza: 3,
    argv: ["touch", "/tmp/x", "'a", "b'"],
    asUser: false,
  });
  const sudo = commandPlan(
    stanza({ enableCmdSudoExec: true, cmdSudoExecUser: "backup", cmdSudoExecGroup: "wheel" }),
    "id",
    { ...POLICY_DEFAULTS, sudoExe: "/usr/local/bin/sudo" },
  );
  assertEquals(sudo.argv, ["/usr/local/bin/sudo", "-u", "backup", "-g", "wheel", "id"]);
  const root = commandPlan(
    stanza({ cmdExecUser: "root", cmdExecGroup: "adm" }),
    "id",
    POLICY_DEFAULTS,
  );
  assertEquals(root.argv, ["id"], "root needs no setpriv");
});

Deno.test("plan: CMD_CYCLE substitutions with fwknopd's values (the first port only); CLOSE NONE runs nothing", () => {
  const pkt = {
    payload: "",
    src: addr("203.0.113.9"),
    dst: addr("198.51.100.1"),
    proto: 17,
    sport: 40000,
    dport: 62201,
  };
  const s = stanza({
    cmdCycleOpen:
      "ipset add allow $IP,$PROTO:$PORT timeout $TIMEOUT # $PKT_SRC>$DST $CLIENT_TIMEOUT",
    cmdCycleClose: "ipset del allow $SRC,$PROTO:$PORT",
    cmdCycleTimer: 30,
  });
  const request = { ports: [{ proto: "udp", port: 53 }, { proto: "tcp", port: 22 }] as const };
  const f = { request, timestamp: 1_800_000_000, clientTimeout: 0, username: "alice" };
  const p = cyclePlan(pkt, s, addr("192.0.2.5"), f);
  assertEquals(p.open, [
    "ipset",
    "add",
    "allow",
    "192.0.2.5,17:53",
    "timeout",
    "1800000030",
    "#",
    "203.0.113.9>198.51.100.1",
    "30",
  ]);
  assertEquals(p.close, ["ipset", "del", "allow", "192.0.2.5,17:53"]);
  assertEquals(p.timeout, 30);
  const withClient = cyclePlan(pkt, stanza({ ...s, cmdCycleClose: "NONE" }), addr("192.0.2.5"), {
    ...f,
    clientTimeout: 90,
  });
  assertEquals(withClient.timeout, 90, "the client's timeout wins");
  assertEquals(withClient.close, undefined);
});

Deno.test("plan: CMD_CYCLE substitution matches fwknopd's (prefix names in its order, a stray $ dropped)", () => {
  const v = {
    IP: "10.0.0.1",
    SRC: "10.0.0.1",
    PKT_SRC: "192.0.2.9",
    DST: "192.0.2.2",
    PORT: "22",
    PROTO: "6",
    TIMEOUT: "1800000030",
    CLIENT_TIMEOUT: "0",
  };
  const cases: [string, string][] = [
    ["set $IP_x $IPv4", "set 10.0.0.1_x 10.0.0.1v4"],
    ["$PKT_SRC:$PORT/$PROTO", "192.0.2.9:22/6"],
    ["until $TIMEOUT ($CLIENT_TIMEOUT)", "until 1800000030 (0)"],
    ["$HOME and $$IP", "HOME and 10.0.0.1"],
    ["$SRC->$DST", "10.0.0.1->192.0.2.2"],
  ];
  for (const [cmd, want] of cases) assertEquals(substitute(cmd, v), want, cmd);
});

const cyclePkt = {
  payload: "",
  src: addr("203.0.113.9"),
  dst: addr("198.51.100.1"),
  proto: 17,
  sport: 40000,
  dport: 62201,
};
const cycleFields = (extra: Partial<CycleFields> = {}): CycleFields => ({
  request: { ports: [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }] },
  timestamp: 1_800_000_000,
  clientTimeout: 0,
  username: "alice",
  ...extra,
});

Deno.test("plan: CMD_CYCLE_PER_PORT gives one pair per requested port with $DST_PORT, $PORT and $PROTO of that port", () => {
  const s = stanza({
    cmdCycleOpen: "nft add element inet t allow { $IP . $PROTO . $DST_PORT } # $PORT $TIMEOUT",
    cmdCycleClose: "nft delete element inet t allow { $IP . $PROTO . $DST_PORT }",
    cmdCycleTimer: 30,
    cmdCyclePerPort: true,
  });
  const p = cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields());
  const steps = p.steps ?? [];
  assertEquals(steps.map((x) => x.label), ["192.0.2.5 tcp/22", "192.0.2.5 udp/53"]);
  assertEquals(steps.map((x) => x.open), [
    ["nft", "add", "element", "inet", "t", "allow", "{", "192.0.2.5", ".", "6", ".", "22", "}"]
      .concat(["#", "22", "1800000030"]),
    ["nft", "add", "element", "inet", "t", "allow", "{", "192.0.2.5", ".", "17", ".", "53", "}"]
      .concat(["#", "53", "1800000030"]),
  ]);
  assertEquals(steps[1]!.close, [
    ...["nft", "delete", "element", "inet", "t", "allow"],
    ...["{", "192.0.2.5", ".", "17", ".", "53", "}"],
  ]);
  assertEquals([p.open, p.close], [steps[0]!.open, steps[0]!.close], "open/close: the first pair");
  assertEquals(p.timeout, 30);
  // fwknopd's default: one pair, for the first port, with $DST_PORT equal to $PORT.
  const one = cyclePlan(
    cyclePkt,
    { ...s, cmdCyclePerPort: false },
    addr("192.0.2.5"),
    cycleFields(),
  );
  assertEquals(one.steps?.map((x) => x.label), ["192.0.2.5 tcp/22"]);
});

Deno.test("plan: CMD_CYCLE_PER_PORT runs a repeated port, or commands that ignore the port, once", () => {
  const s = stanza({
    cmdCycleOpen: "ipset add allow $IP",
    cmdCycleClose: "ipset del allow $IP",
    cmdCycleTimer: 30,
    cmdCyclePerPort: true,
  });
  const p = cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields());
  assertEquals(p.steps?.length, 1, "the same commands for both ports: one pair");
  const dup = cyclePlan(
    cyclePkt,
    { ...s, cmdCycleOpen: "ipset add allow $IP,$PROTO:$PORT" },
    addr("192.0.2.5"),
    cycleFields({
      request: { ports: [{ proto: "tcp", port: 22 }, { proto: "tcp", port: 22 }] },
    }),
  );
  assertEquals(dup.steps?.length, 1);
});

Deno.test("plan: CMD_CYCLE keys ignore the times, so a repeat with another timeout is the same cycle", () => {
  const s = stanza({
    cmdCycleOpen: "ipset add allow $IP,$PROTO:$PORT timeout $CLIENT_TIMEOUT # $TIMEOUT",
    cmdCycleClose: "ipset del allow $IP,$PROTO:$PORT",
    cmdCycleTimer: 30,
  });
  const a = cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields());
  const b = cyclePlan(
    cyclePkt,
    s,
    addr("192.0.2.5"),
    cycleFields({ timestamp: 1_800_000_100, clientTimeout: 600 }),
  );
  assertEquals(a.steps![0]!.key, b.steps![0]!.key);
  assert(a.open.join(" ") !== b.open.join(" "), "the commands themselves carry the times");
  const other = cyclePlan(cyclePkt, s, addr("192.0.2.6"), cycleFields());
  assert(other.steps![0]!.key !== a.steps![0]!.key, "another address is another cycle");
  const otherStanza = cyclePlan(cyclePkt, { ...s, index: 4 }, addr("192.0.2.5"), cycleFields());
  assert(otherStanza.steps![0]!.key !== a.steps![0]!.key, "another stanza is another cycle");
});

Deno.test("plan: $NAT_IP and $NAT_PORT come from the SPA NAT field, else FORCE_NAT, else are empty", () => {
  const s = stanza({
    cmdCycleOpen: "fwd $IP:$PORT -> $NAT_IP:$NAT_PORT [$NAT_IP]",
    cmdCycleClose: "NONE",
  });
  const natReq = cycleFields({
    request: { ports: [{ proto: "tcp", port: 2222 }], nat: { host: "10.0.0.5", port: 22 } },
  });
  assertEquals(cyclePlan(cyclePkt, s, addr("192.0.2.5"), natReq).open, [
    "fwd",
    "192.0.2.5:2222",
    "->",
    "10.0.0.5:22",
    "[10.0.0.5]",
  ]);
  const forced = { ...s, forceNat: { ip: "10.0.0.9", port: 2022 } };
  assertEquals(cyclePlan(cyclePkt, forced, addr("192.0.2.5"), cycleFields()).open, [
    "fwd",
    "192.0.2.5:22",
    "->",
    "10.0.0.9:2022",
    "[10.0.0.9]",
  ]);
  // No NAT: the variables are empty, and an argument that comes out empty is left out.
  assertEquals(cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields()).open, [
    "fwd",
    "192.0.2.5:22",
    "->",
    ":",
    "[]",
  ]);
  const alone = { ...s, cmdCycleOpen: "logger $NAT_IP end" };
  assertEquals(cyclePlan(cyclePkt, alone, addr("192.0.2.5"), cycleFields()).open, [
    "logger",
    "end",
  ]);
});

Deno.test("plan: a hostile SPA username is one argv element, never split, never substituted again", () => {
  const s = stanza({
    cmdCycleOpen: "/usr/local/bin/note --user=$USER $USER $IP",
    cmdCycleClose: "/usr/local/bin/unnote $USER",
    cmdCycleTimer: 30,
    cmdCyclePerPort: true,
  });
  // Every one passes libfko's username rule (printable ASCII without " / \ [ ] : ; | = , + * ? < >).
  const hostile = [
    "alice -j ACCEPT",
    "  ",
    "$IP $PORT $$USER",
    "x `id` $(id) & {a} 'q' #",
    "-rf .",
    "}{ flush ruleset {",
  ];
  for (const user of hostile) {
    const p = cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields({ username: user }));
    for (const step of p.steps!) {
      assertEquals(step.open.length, 4, user);
      assertEquals(step.open.slice(1), [`--user=${user}`, user, "192.0.2.5"], user);
      assertEquals(step.close, ["/usr/local/bin/unnote", user], user);
    }
  }
  // fwknopd's variables keep their values next to it.
  assertEquals(substitute("$USER@$IP", { USER: "$IP", IP: "192.0.2.5" }), "$IP@192.0.2.5");
});

Deno.test("plan: DST_PORT is tried before DST, the new names match as prefixes like fwknopd's, CLIENT_TIMEOUT falls back to the timer", () => {
  const v = { DST: "192.0.2.2", DST_PORT: "22", PORT: "22", USER: "bob", NAT_IP: "", NAT_PORT: "" };
  assertEquals(substitute("$DST:$DST_PORT $DST_x", v), "192.0.2.2:22 192.0.2.2_x");
  assertEquals(substitute("$USERNAME $NAT_IPv4", v), "bobNAME v4");
  const s = stanza({ cmdCycleOpen: "x $CLIENT_TIMEOUT", cmdCycleClose: "NONE", cmdCycleTimer: 45 });
  assertEquals(cyclePlan(cyclePkt, s, addr("192.0.2.5"), cycleFields()).open, ["x", "45"]);
  const client = cycleFields({ clientTimeout: 90 });
  assertEquals(cyclePlan(cyclePkt, s, addr("192.0.2.5"), client).open, ["x", "90"]);
});
