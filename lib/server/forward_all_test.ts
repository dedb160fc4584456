/**
 * FORCE_MASQUERADE with FORWARD_ALL while fwknopd.conf enables neither
 * forwarding nor local NAT: fwknopd 2.6.10 accepts the stanza, accepts its
 * packets and adds no working rule (its "SNAT ALL" iptables command fails).
 * Ours accepts it too, says at load that it opens nothing, and a packet's
 * grant builds no iptables rule.
 */
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConfigError } from "../config/lexer.ts";
import { parseAddr } from "../net/addr.ts";
import { grantFor, natPlan } from "../policy/plan.ts";
import { POLICY_DEFAULTS } from "../policy/options.ts";
import { grantRules } from "../../firewall/iptables.ts";
import { chainsFrom } from "./firewall_config.ts";
import { serverFlags } from "./flags.ts";
import { load } from "./load.ts";

const dir = Deno.makeTempDirSync({ prefix: "fwknop-fwdall-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function loadWith(access: string, conf = "") {
  Deno.writeTextFileSync(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir}/run;\n${conf}`);
  Deno.writeTextFileSync(`${dir}/access.conf`, `SOURCE ANY\nKEY abcdefgh\n${access}`);
  return load(serverFlags([
    { name: "config-file", value: `${dir}/fwknopd.conf` },
    { name: "access-file", value: `${dir}/access.conf` },
  ]));
}

const WARNING =
  /access\.conf:1: stanza #1: FORWARD_ALL with FORCE_MASQUERADE opens nothing while fwknopd\.conf sets neither ENABLE_IPT_FORWARDING nor ENABLE_IPT_LOCAL_NAT/;

Deno.test("FORCE_MASQUERADE with FORWARD_ALL and no forwarding loads, with a warning that it opens nothing", () => {
  for (const extra of ["", "OPEN_PORTS tcp/22\n"]) {
    const l = loadWith(`${extra}FORCE_MASQUERADE Y\nFORWARD_ALL Y\n`);
    assert(l.warnings.some((w) => WARNING.test(w)), l.warnings.join("\n"));
    // Every load warning says it is one on stderr, as fwknopd's warnings do.
    assert(l.warnings.every((w) => w.startsWith("Warning: ")), l.warnings.join("\n"));
  }
  const on = loadWith("FORCE_MASQUERADE Y\nFORWARD_ALL Y\n", "ENABLE_IPT_FORWARDING Y;\n");
  assert(!on.warnings.some((w) => /opens nothing/.test(w)), on.warnings.join("\n"));
});

Deno.test("FORCE_MASQUERADE without FORWARD_ALL or FORCE_NAT is still refused, as fwknopd refuses it", () => {
  assertThrows(
    () => loadWith("OPEN_PORTS tcp/22\nFORCE_MASQUERADE Y\n"),
    ConfigError,
    "FORCE_SNAT and FORCE_MASQUERADE need FORCE_NAT or FORWARD_ALL",
  );
});

Deno.test("a packet for such a stanza builds no iptables rule (nothing opens, as with fwknopd)", () => {
  const l = loadWith("OPEN_PORTS tcp/22\nFORCE_MASQUERADE Y\nFORWARD_ALL Y\n");
  const s = l.settings.stanzas[0]!;
  const ports = [{ proto: "tcp" as const, port: 22 }];
  const nat = natPlan(s, undefined, 1, ports[0]!, POLICY_DEFAULTS);
  assertEquals(nat?.forwardAll, true);
  const src = parseAddr("192.0.2.7")!;
  const pkt = {
    payload: "",
    src: parseAddr("203.0.113.5")!,
    dst: parseAddr("198.51.100.1")!,
    proto: 17,
    sport: 40000,
    dport: 62201,
  };
  const g = grantFor(pkt, s, src, ports, 1_900_000_000, nat, POLICY_DEFAULTS);
  assertEquals(grantRules(g, chainsFrom(l.config, "IPT"), false), []);
});
