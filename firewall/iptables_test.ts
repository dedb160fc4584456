import { assertEquals } from "../tests/assert.ts";
import type { AccessStanza } from "../lib/config/access_conf.ts";
import type { AccessGrant } from "../lib/policy.ts";
import {
  type Chains,
  grantRules,
  type IptablesOptions,
  parseChainSpec,
  parseRuleList,
} from "./iptables.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const chains: Chains = {
  input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1"),
  output: spec("ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1"),
  forward: spec("ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1"),
  dnat: spec("DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1"),
  masquerade: spec("MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1"),
};
const stanza = { forwardAll: false, disableDnat: false, forceMasquerade: false } as AccessStanza;
const opts: IptablesOptions = {
  exe: "iptables",
  chains: { input: chains.input },
  prepend: false,
  destinationRule: false,
};
const line = (r: string[]) => ["iptables", ...r].join(" ");

// Expected lines are the commands SPEC §13.13 recorded from the stock fwknopd.
Deno.test("grantRules: plain access matches fwknopd's commands", () => {
  const g: AccessGrant = {
    kind: "access",
    stanza,
    allowIp: "1.2.3.4",
    ports: [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }],
    timeout: 3,
    pktDst: "0.0.0.0",
  };
  assertEquals(grantRules(g, opts, 1795318962).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT",
    "iptables -A FWKNOP_INPUT -t filter -p 17 -s 1.2.3.4 -d 0.0.0.0/0 --dport 53 -m comment --comment _exp_1795318962 -j ACCEPT",
  ]);
});

Deno.test("grantRules: NAT, local NAT and OUTPUT match fwknopd's commands", () => {
  const all = { ...opts, chains };
  const nat: AccessGrant = {
    kind: "access",
    stanza,
    allowIp: "1.2.3.4",
    ports: [{ proto: "tcp", port: 2222 }],
    timeout: 3,
    pktDst: "0.0.0.0",
    nat: { ip: "192.168.1.55", port: 22, local: false },
  };
  assertEquals(grantRules(nat, all, 1795318990).map(line), [
    "iptables -A FWKNOP_FORWARD -t filter -p 6 -s 1.2.3.4 --dport 22 -m comment --comment _exp_1795318990 -j ACCEPT",
    "iptables -A FWKNOP_PREROUTING -t nat -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 2222 -m comment --comment _exp_1795318990 -j DNAT --to-destination 192.168.1.55:22",
    "iptables -A FWKNOP_MASQUERADE -t nat -p 6 -d 192.168.1.55 --dport 22 -m comment --comment _exp_1795318990 -j MASQUERADE --to-ports 2222",
  ]);
  const local: AccessGrant = {
    ...nat,
    allowIp: "1.2.3.5",
    ports: [{ proto: "tcp", port: 55000 }],
    nat: { ip: "127.0.0.1", port: 22, local: true },
  };
  assertEquals(grantRules(local, all, 1795318991).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.5 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318991 -j ACCEPT",
    "iptables -A FWKNOP_PREROUTING -t nat -p 6 -s 1.2.3.5 -d 0.0.0.0/0 --dport 55000 -m comment --comment _exp_1795318991 -j DNAT --to-destination 127.0.0.1:22",
    "iptables -A FWKNOP_MASQUERADE -t nat -p 6 -d 127.0.0.1 --dport 22 -m comment --comment _exp_1795318991 -j MASQUERADE --to-ports 55000",
  ]);
  const out: AccessGrant = {
    kind: "access",
    stanza,
    allowIp: "1.2.3.6",
    ports: [{ proto: "tcp", port: 22 }],
    timeout: 7,
    pktDst: "0.0.0.0",
  };
  assertEquals(grantRules(out, all, 1795318996).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.6 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318996 -j ACCEPT",
    "iptables -A FWKNOP_OUTPUT -t filter -p 6 -d 1.2.3.6 -s 0.0.0.0/0 --sport 22 -m comment --comment _exp_1795318996 -j ACCEPT",
  ]);
});

Deno.test("parseChainSpec refuses malformed specifications", () => {
  assertEquals(typeof parseChainSpec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT"), "string");
  assertEquals(typeof parseChainSpec("ACCEPT; filter, INPUT, 1, FWKNOP_INPUT, 1"), "string");
});

Deno.test("parseRuleList reads rule numbers and _exp_ times", () => {
  const text = `Chain FWKNOP_INPUT (1 references)
num  target     prot opt source               destination
1    ACCEPT     6    --  1.2.3.4              0.0.0.0/0            tcp dpt:22 /* _exp_1795318962 */
2    ACCEPT     17   --  1.2.3.4              0.0.0.0/0            udp dpt:53 /* _exp_1795318963 */
3    ACCEPT     6    --  5.6.7.8              0.0.0.0/0            tcp dpt:80
`;
  assertEquals(parseRuleList(text), [{ num: 1, expires: 1795318962 }, {
    num: 2,
    expires: 1795318963,
  }]);
});
