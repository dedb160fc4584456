import { assertEquals } from "../../tests/assert.ts";
import { newStanza } from "../config/access_conf.ts";
import { parseAddr } from "../net/addr.ts";
import { POLICY_DEFAULTS } from "./options.ts";
import { commandPlan, cyclePlan, substitute } from "./plan.ts";

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

Deno.test("plan: CMD_CYCLE substitutions with fwknopd's values; CLOSE NONE runs nothing", () => {
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
  const f = { request, timestamp: 1_800_000_000, clientTimeout: 0 };
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
    "0",
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
