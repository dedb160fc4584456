import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { Metrics, serveMetrics } from "./metrics.ts";

Deno.test("metrics: counters, histogram buckets and gauges in the text format", () => {
  const m = new Metrics("nftables");
  m.verdict("accepted");
  m.verdict("replay");
  m.verdict('odd"label');
  m.granted(2, 0.0015);
  m.granted(2, 0.3);
  m.firewallFailed();
  m.gauges = { liveGrants: () => 7, screened: () => 40 };
  const t = m.render();
  assertMatch(t, /fwknopd_packets_total\{verdict="odd\\"label"\} 1\n/);
  assertMatch(t, /fwknopd_packets_total\{verdict="screened"\} 40\n/);
  assertMatch(t, /fwknopd_replays_total 1\n/);
  assertMatch(t, /fwknopd_grants_total\{stanza="2",backend="nftables"\} 2\n/);
  assertMatch(t, /fwknopd_spa_to_rule_seconds_bucket\{le="0.001"\} 0\n/);
  assertMatch(t, /fwknopd_spa_to_rule_seconds_bucket\{le="0.002"\} 1\n/);
  assertMatch(t, /fwknopd_spa_to_rule_seconds_bucket\{le="0.5"\} 2\n/);
  assertMatch(t, /fwknopd_spa_to_rule_seconds_bucket\{le="\+Inf"\} 2\n/);
  assertMatch(t, /fwknopd_firewall_failures_total 1\n/);
  assertMatch(t, /fwknopd_grants_live 7\n/);
  assertEquals(t.includes("fwknopd_fleet_redis_up"), false, "no fleet, no fleet gauge");
});

Deno.test({
  name: "metrics: served on /metrics only; a taken address is named",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const m = new Metrics("iptables");
    const s = await serveMetrics("127.0.0.1:0", m);
    const port = s.port;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      assertMatch(r.headers.get("content-type") ?? "", /version=0\.0\.4/);
      assertMatch(await r.text(), /# TYPE fwknopd_packets_total counter/);
      const nf = await fetch(`http://127.0.0.1:${port}/`);
      assertEquals(nf.status, 404);
      await nf.body?.cancel();
      let msg = "";
      await serveMetrics(`127.0.0.1:${port}`, m).catch((e) => msg = (e as Error).message);
      assertMatch(msg, new RegExp(`Cannot serve metrics on 127\\.0\\.0\\.1:${port}`));
    } finally {
      await s.close();
    }
  },
});
