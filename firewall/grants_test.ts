import { assert, assertEquals } from "../tests/assert.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { type Grant, grantKey } from "./grant.ts";
import { GrantTable } from "./grants.ts";
import { MemoryFirewall } from "./memory.ts";
import { MAX_TIMEOUT_MS } from "../lib/timer.ts";
import { FakeClock } from "../lib/timer_fake.ts";

const T0 = 1_800_000_000;

function setup() {
  let ms = T0 * 1000;
  const logs: string[] = [];
  const fw = new MemoryFirewall();
  const table = new GrantTable(fw, {
    nowMs: () => ms,
    log: (level, msg) => logs.push(`${level}: ${msg}`),
  });
  return { fw, table, logs, advance: (s: number) => (ms += s * 1000) };
}

function grant(src: string, port: number, expiresAt: number): Grant {
  return {
    src: parseAddr(src)!,
    ports: [{ proto: "tcp", port }],
    expiresAt,
    origin: { stanza: 1, pktSrc: parseAddr(src)!, via: "spa" },
  };
}

Deno.test("grant table: opens, refuses a duplicate, extends a longer one in place", async () => {
  const { fw, table } = setup();
  await table.init();
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 30)), "opened");
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 20)), "already-open");
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 30)), "already-open");
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 60)), "extended");
  assertEquals(fw.rules.length, 1, "the extended grant replaced the first");
  assertEquals(fw.rules[0]!.grant.expiresAt, T0 + 60);
  assertEquals(await table.open(grant("2001:db8::1", 22, T0 + 60)), "opened");
  assertEquals(table.size, 2);
});

Deno.test("grant table: a grant is live until its expiry second and closed at it", async () => {
  const { fw, table, advance, logs } = setup();
  await table.open(grant("192.0.2.1", 22, T0 + 5));
  await table.open(grant("192.0.2.2", 22, T0 + 7));
  assertEquals(table.nextExpiry, T0 + 5);
  advance(4);
  await table.expire();
  assertEquals(fw.rules.length, 2);
  advance(1);
  await table.expire();
  assertEquals(fw.rules.map((r) => r.grant.src.text), ["192.0.2.2"]);
  assert(
    logs.some((l) => /Removed expired access for 192\.0\.2\.1 tcp\/22/.test(l)),
    logs.join("\n"),
  );
  advance(2);
  await table.expire();
  assertEquals(fw.rules.length, 0);
  assertEquals(table.size, 0);
});

Deno.test("grant table: a refused grant is not live and says why", async () => {
  const { fw, table, logs } = setup();
  fw.failNextOpen = "iptables exited with code 4";
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 5)), "failed");
  assertEquals(table.size, 0);
  assert(logs.some((l) => l.startsWith("error: ") && l.includes("code 4")), logs.join("\n"));
  assertEquals(await table.open(grant("192.0.2.1", 22, T0 + 5)), "opened");
});

Deno.test("grant table: never calls the backend concurrently", async () => {
  const { fw, table, advance } = setup();
  fw.delayMs = 1;
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    work.push(table.open(grant(`192.0.2.${i + 1}`, 22, T0 + 1 + (i % 3))));
    if (i % 5 === 0) work.push(table.expire(i % 10 === 0));
  }
  const results = await Promise.allSettled(work);
  assertEquals(results.filter((r) => r.status === "rejected"), []);
  assertEquals(results.filter((r) => r.status === "fulfilled" && r.value === "opened").length, 40);
  advance(2);
  await Promise.all([table.expire(true), table.open(grant("192.0.2.99", 22, T0 + 9))]);
  // The MemoryFirewall throws on overlap; every call went through one at a time.
  assert(fw.calls.length > 48, String(fw.calls.length));
  assertEquals(fw.rules.every((r) => r.grant.expiresAt > T0 + 2), true);
});

Deno.test("grant table: init sweeps what an earlier run left due, and keeps the rest", async () => {
  const { fw, table, advance } = setup();
  for (const g of [grant("192.0.2.50", 22, T0 - 1), grant("192.0.2.51", 22, T0 + 3)]) {
    fw.rules.push({ key: grantKey(g), grant: g });
  }
  await table.init();
  assertEquals(fw.rules.map((r) => r.grant.src.text), ["192.0.2.51"]);
  assertEquals(table.nextExpiry, T0 + 3, "the next expiry includes rules of earlier runs");
  advance(3);
  await table.expire();
  assertEquals(fw.rules.length, 0);
});

Deno.test("grant table: a grant already past its expiry is not opened; revoke closes one address", async () => {
  const { fw, table, logs } = setup();
  await table.init();
  assertEquals(await table.open(grant("192.0.2.1", 22, T0)), "failed");
  assert(logs.some((l) => /expired before it could be opened/.test(l)), logs.join("\n"));
  await table.open(grant("192.0.2.1", 22, T0 + 30));
  await table.open(grant("192.0.2.1", 80, T0 + 30));
  await table.open(grant("192.0.2.2", 22, T0 + 30));
  assertEquals(await table.revoke(parseAddr("192.0.2.1")!, "fleet revocation"), 2);
  assertEquals(fw.rules.map((r) => r.grant.src.text), ["192.0.2.2"]);
  assert(
    logs.some((l) =>
      /Revoked access for 192\.0\.2\.1 tcp\/22 \(stanza #1, fleet revocation\)/.test(l)
    ),
  );
  assertEquals(table.live().map((g) => g.src.text), ["192.0.2.2"]);
  assertEquals(table.backend, "memory");
});

Deno.test("grant table: failures of the backend are logged and the queue goes on", async () => {
  const { fw, table, logs, advance } = setup();
  await table.init();
  await table.open(grant("192.0.2.1", 22, T0 + 5));
  // The backend fails to close and to sweep from here on.
  fw.close = () => Promise.reject(new Error("close refused"));
  fw.sweep = () => Promise.reject(new Error("sweep refused"));
  advance(5);
  await table.expire(true);
  assert(
    logs.some((l) => /Cannot remove access for 192\.0\.2\.1: close refused/.test(l)),
    logs.join("\n"),
  );
  assert(logs.some((l) => /Expiry scan failed: sweep refused/.test(l)), logs.join("\n"));
  assertEquals(await table.run((b) => Promise.resolve(b.name)), "memory", "the queue still runs");
  await table.close();
});

Deno.test("grant table: with timers, a grant closes at its expiry second by itself", async () => {
  const logs: string[] = [];
  const fw = new MemoryFirewall();
  const table = new GrantTable(fw, { nowMs: Date.now, log: (_l, m) => logs.push(m), timers: true });
  await table.init();
  const now = Math.floor(Date.now() / 1000);
  await table.open(grant("192.0.2.7", 22, now + 1));
  assertEquals(table.nextExpiry, now + 1);
  const end = Date.now() + 3000;
  while (fw.rules.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assertEquals(fw.rules.length, 0, "closed by the timer");
  assert(logs.some((l) => /Removed expired access for 192\.0\.2\.7/.test(l)), logs.join("\n"));
  await table.close();
});

Deno.test("grant table: a 30-day grant waits 30 days in timer steps that fit setTimeout", async () => {
  // Finding 6: one setTimeout past 2^31-1 ms fired every millisecond.
  const clock = new FakeClock(T0 * 1000);
  const fw = new MemoryFirewall();
  const table = new GrantTable(fw, {
    nowMs: () => clock.now,
    log: () => {},
    timers: true,
    schedule: clock,
  });
  await table.init();
  const days30 = 2_600_000;
  assertEquals(await table.open(grant("192.0.2.30", 22, T0 + days30)), "opened");
  clock.advance((days30 - 1) * 1000);
  await table.idle();
  assertEquals(fw.rules.length, 1);
  clock.advance(1000);
  await table.idle();
  assertEquals(fw.rules.length, 0);
  assert(clock.delays.every((d) => d <= MAX_TIMEOUT_MS), `delays ${clock.delays}`);
  assert(clock.delays.length <= 3, `timer fired ${clock.delays.length} times`);
  await table.close();
});

Deno.test("grant table: many grants close each at its own second, extended ones at the new one", async () => {
  // One deadline heap for every grant: extended and revoked grants leave stale
  // entries behind, which must neither close a live grant early nor keep a dead one.
  const { fw, table, advance } = setup();
  await table.init();
  const want = new Map<string, number>();
  let seed = 11;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 300; i++) {
    const src = `10.1.${i >> 8}.${i & 255}`;
    const at = T0 + 1 + rand(40);
    await table.open(grant(src, 22, at));
    want.set(src, at);
  }
  for (let i = 0; i < 300; i += 3) {
    const src = `10.1.${i >> 8}.${i & 255}`;
    const at = want.get(src)! + 1 + rand(20);
    assertEquals(await table.open(grant(src, 22, at)), "extended");
    want.set(src, at);
  }
  assertEquals(await table.revoke(parseAddr("10.1.0.7")!, "test"), 1);
  want.delete("10.1.0.7");
  for (let s = 1; s <= 62; s++) {
    advance(1);
    await table.expire();
    const open = [...want].filter(([, at]) => at > T0 + s).map(([src]) => src).sort();
    assertEquals(fw.rules.map((r) => r.grant.src.text).sort(), open, `second ${s}`);
    assertEquals(table.size, open.length);
    const next = Math.min(...[...want.values()].filter((at) => at > T0 + s));
    assertEquals(table.nextExpiry, Number.isFinite(next) ? next : undefined);
  }
});

Deno.test("grant table: keeps a compact record that gives back an equal grant", async () => {
  const { fw, table, logs, advance } = setup();
  const g = grant("192.0.2.9", 22, T0 + 5);
  const other: Grant = { ...grant("192.0.2.10", 22, T0 + 6) };
  other.origin = { stanza: 2, pktSrc: parseAddr("198.51.100.1")!, via: "fleet", gateway: "gw2" };
  const net: Grant = { ...grant("2001:db8:1::", 443, T0 + 7), srcPrefix: 48 };
  net.dst = parseAddr("2001:db8::53")!;
  net.nat = {
    kind: "forward",
    ip: "192.0.2.80",
    port: 8443,
    proto: "tcp",
    reqPort: 443,
    dnat: true,
    forwardAll: false,
    masquerade: false,
  };
  for (const x of [g, other, net, grant("192.0.2.11", 22, T0 + 8)]) await table.open(x);
  const [a, b, c, d] = table.live();
  assertEquals(a, g);
  assertEquals(b, other);
  assertEquals(c, net);
  assertEquals(grantKey(c!), grantKey(net));
  assert(a!.ports === d!.ports, "grants differing only in address share their shape");
  advance(5);
  await table.expire();
  assertEquals(fw.rules.length, 3);
  advance(5);
  await table.expire();
  assertEquals(fw.rules.length, 0);
  assert(
    logs.some((l) => /192\.0\.2\.10 tcp\/22 \(stanza #2, expired at/.test(l)),
    logs.join("\n"),
  );
});
