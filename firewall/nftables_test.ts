import { assertEquals } from "../tests/assert.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { parseAddr } from "../lib/net/addr.ts";
import type { Grant, NatPlan } from "./grant.ts";
import type { NftNewElement } from "./nft_run.ts";
import {
  grantElements,
  initScript,
  jumpHandles,
  newElement,
  NFT_DEFAULTS,
  Nftables,
  nftDuration,
  nftDurationMs,
  type NftOptions,
} from "./nftables.ts";

const OPTS: NftOptions = { ...NFT_DEFAULTS };

/** A grant expiring at 1_800_000_030, NAT'd to 198.51.100.9:22 unless `nat` says otherwise. */
function grant(src: string, ports: string[], nat?: Partial<NatPlan>, dst?: string): Grant {
  const g = testGrant(
    src,
    ports,
    1_800_000_030,
    nat === undefined ? undefined : { ip: "198.51.100.9", port: 22, proto: "tcp", ...nat },
  );
  if (dst !== undefined) g.dst = parseAddr(dst)!;
  return g;
}

Deno.test("nft elements: access for IPv4 and IPv6, with destination and output", () => {
  assertEquals(grantElements(grant("192.0.2.1", ["tcp/22", "udp/53"]), OPTS), [
    { table: "inet filter", set: "fwknopd_allow4", key: "192.0.2.1 . tcp . 22" },
    { table: "inet filter", set: "fwknopd_allow4", key: "192.0.2.1 . udp . 53" },
  ]);
  assertEquals(
    grantElements(grant("2001:db8::1", ["tcp/22"], undefined, "2001:db8::2"), {
      ...OPTS,
      outputRules: true,
    }),
    [
      { table: "inet filter", set: "fwknopd_allow6d", key: "2001:db8::1 . 2001:db8::2 . tcp . 22" },
      { table: "inet filter", set: "fwknopd_out6", key: "2001:db8::1 . tcp . 22" },
    ],
  );
  // An ip-family table holds no IPv6 sets.
  assertEquals(
    typeof grantElements(grant("2001:db8::1", ["tcp/22"]), {
      ...OPTS,
      table: { family: "ip", name: "filter" },
    }),
    "string",
  );
});

Deno.test("nft elements: NAT forward, local NAT, SNAT and masquerade", () => {
  const nat = { ...OPTS, nat: true, snat: true };
  assertEquals(grantElements(grant("192.0.2.1", ["tcp/2222"], {}), nat), [
    { table: "inet filter", set: "fwknopd_fwd4", key: "192.0.2.1 . tcp . 22" },
    {
      table: "inet fwknopd",
      set: "fwknopd_dnat4",
      key: "192.0.2.1 . tcp . 2222",
      value: "198.51.100.9 . 22",
    },
    { table: "inet fwknopd", set: "fwknopd_masq4", key: "198.51.100.9 . tcp . 22" },
  ]);
  assertEquals(
    grantElements(
      grant("192.0.2.1", ["tcp/55000"], { kind: "local", ip: "192.0.2.2", snat: "192.0.2.2" }),
      nat,
    ),
    [
      { table: "inet filter", set: "fwknopd_allow4", key: "192.0.2.1 . tcp . 22" },
      {
        table: "inet fwknopd",
        set: "fwknopd_dnat4",
        key: "192.0.2.1 . tcp . 55000",
        value: "192.0.2.2 . 22",
      },
      {
        table: "inet fwknopd",
        set: "fwknopd_snat4",
        key: "192.0.2.2 . tcp . 22",
        value: "192.0.2.2",
      },
    ],
  );
  assertEquals(typeof grantElements(grant("192.0.2.1", ["tcp/22"], {}), OPTS), "string");
  assertEquals(
    typeof grantElements(grant("192.0.2.1", ["tcp/22"], { ip: "host.example" }), nat),
    "string",
  );
});

Deno.test("nft init: jump mode puts sets and chains in the admin's table and one jump", () => {
  const { script, jumps } = initScript(OPTS);
  assertEquals(jumps, [["input", "fwknopd_input"]]);
  assertEquals(script.filter((l) => l.includes("fwknopd_allow4 ")), [
    "add set inet filter fwknopd_allow4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }",
    "add rule inet filter fwknopd_input ip saddr . meta l4proto . th dport @fwknopd_allow4 accept",
  ]);
  assertEquals(script.includes("flush chain inet filter fwknopd_input"), true);
  assertEquals(
    script.includes(
      "add rule inet filter fwknopd_input ip6 saddr . meta l4proto . th dport @fwknopd_allow6 accept",
    ),
    true,
  );
  assertEquals(script.some((l) => l.includes("inet fwknopd")), false, "no own table without NAT");
});

Deno.test("nft init: self-contained mode makes its own base chain with the drop", () => {
  const { script, jumps } = initScript({
    ...OPTS,
    selfContained: true,
    protect: [{ proto: "tcp", port: 22 }],
  });
  assertEquals(jumps, []);
  for (
    const l of [
      "add chain inet fwknopd input { type filter hook input priority filter; policy accept; }",
      "add element inet fwknopd fwknopd_protect { tcp . 22 }",
      "add rule inet fwknopd input jump fwknopd_input",
      "add rule inet fwknopd input meta l4proto . th dport @fwknopd_protect drop",
    ]
  ) assertEquals(script.includes(l), true, l);
  assertEquals(
    script.some((l) => l.includes("inet filter")),
    false,
    "the admin's table is untouched",
  );
});

Deno.test("jumpHandles reads handles of our jump rules from nft -a output", () => {
  const listing = `table inet filter {
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		jump fwknopd_input # handle 9
		ct state established,related accept # handle 2
		jump fwknopd_input_other # handle 10
	}
}`;
  assertEquals(jumpHandles(listing, "fwknopd_input"), [9]);
});

Deno.test("nft init: NAT and SNAT put dnat/snat maps and masquerade in our own table", () => {
  const { script } = initScript({ ...OPTS, nat: true, snat: true });
  for (
    const l of [
      "add chain inet fwknopd fwknopd_prerouting { type nat hook prerouting priority dstnat; policy accept; }",
      "add rule inet fwknopd fwknopd_prerouting dnat ip to ip saddr . meta l4proto . th dport map @fwknopd_dnat4",
      "add rule inet fwknopd fwknopd_prerouting dnat ip to ip saddr map @fwknopd_dnatall4",
      "add rule inet fwknopd fwknopd_postrouting snat ip to ip daddr . meta l4proto . th dport map @fwknopd_snat4",
      "add rule inet fwknopd fwknopd_postrouting ip daddr . meta l4proto . th dport @fwknopd_masq4 masquerade",
    ]
  ) assertEquals(script.includes(l), true, l);
});

Deno.test("nft list: the grants of each set with their time left; nothing says so", async () => {
  const scripts: string[] = [];
  const runner = {
    kind: "fake",
    run: (s: string) => {
      scripts.push(s);
      const stdout = s === "list set inet filter fwknopd_allow4\n"
        ? "table inet filter {\n set fwknopd_allow4 {\n elements = { 192.0.2.5 . tcp . 22 timeout 30s expires 12s,\n 192.0.2.6 . udp . 53 timeout 30s expires 29s }\n }\n}\n"
        : "";
      return Promise.resolve({
        code: s.startsWith("list set") || s.startsWith("list ruleset") ? 0 : 1,
        stdout,
        stderr: "",
      });
    },
  };
  const fw = new Nftables(OPTS, runner);
  const out = await fw.list();
  assertEquals(
    out,
    'Grants in nftables inet filter set fwknopd_allow4 (time left after "expires"):\n' +
      "  192.0.2.5 . tcp . 22 timeout 30s expires 12s\n  192.0.2.6 . udp . 53 timeout 30s expires 29s\n",
  );
  const empty = new Nftables(OPTS, {
    kind: "fake",
    run: () => Promise.resolve({ code: 1, stdout: "", stderr: "" }),
  });
  assertEquals(await empty.list(), "No fwknopd-ts grants in nftables.\n");
});

Deno.test("nftDuration: nft's unit syntax, which takes timeouts nft refuses as plain ms", () => {
  assertEquals(nftDuration(2_600_000_000), "30d2h13m20s");
  assertEquals(nftDuration(8_388_608_000), "97d2h10m8s");
  assertEquals(nftDuration(100_000_500), "1d3h46m40s500ms");
  assertEquals(nftDuration(30_000), "30s");
  assertEquals(nftDuration(1), "1ms");
  assertEquals(nftDuration(0.2), "1ms");
});

Deno.test("nftDurationMs: reads what nft shows after expires", () => {
  assertEquals(nftDurationMs("59m43s60ms"), 3_583_060);
  assertEquals(nftDurationMs("30d2h13m20s"), 2_600_000_000);
  assertEquals(nftDurationMs("1ms"), 1);
  for (const ms of [1, 999, 30_000, 100_000_500, 8_388_608_000]) {
    assertEquals(nftDurationMs(nftDuration(ms)), ms);
  }
});

/** A runner that keeps elements and their expiry (ms) as the kernel would, and logs scripts. */
function fakeKernel(nowMs: () => number) {
  const els = new Map<string, number>();
  const scripts: string[] = [];
  const el = /^(create|add|delete|get) element \S+ \S+ (\S+) \{ (.+?)(?: timeout (\S+))? \}$/;
  const run = (script: string) => {
    scripts.push(script);
    const next = new Map(els);
    let stdout = "";
    for (const line of script.trim().split("\n")) {
      const m = el.exec(line);
      if (m === null) continue;
      const [, verb, set, key, timeout] = m;
      const id = `${set} ${key}`;
      if ((verb === "create" || verb === "delete" || verb === "get") && !next.has(id)) {
        if (verb !== "create") return Promise.resolve({ code: 1, stdout: "", stderr: "ENOENT" });
      } else if (verb === "create") {
        return Promise.resolve({ code: 1, stdout: "", stderr: "File exists" });
      }
      if (verb === "delete") next.delete(id);
      else if (verb === "get") {
        stdout += `elements = { ${key} timeout 1h expires ${
          nftDuration(next.get(id)! - nowMs())
        } }`;
      } else if (timeout !== undefined) next.set(id, nowMs() + nftDurationMs(timeout));
      else if (!next.has(id)) next.set(id, Infinity);
    }
    els.clear();
    for (const [k, v] of next) els.set(k, v);
    return Promise.resolve({ code: 0, stdout, stderr: "" });
  };
  return { els, scripts, runner: { kind: "fake", run } };
}

Deno.test("nft open: a new element is one create; a repeat request or a shared element keeps the later expiry", async () => {
  const now = 1_800_000_000_000;
  const k = fakeKernel(() => now);
  const fw = new Nftables(OPTS, k.runner, () => now);
  const t = now / 1000;
  const a = testGrant("192.0.2.1", ["tcp/22"], t + 60);
  assertEquals(await fw.open(a), [
    `Added element 192.0.2.1 . tcp . 22 to inet filter fwknopd_allow4, expires at ${t + 60}`,
  ]);
  assertEquals(k.scripts, [
    "create element inet filter fwknopd_allow4 { 192.0.2.1 . tcp . 22 timeout 1m }\n",
  ]);
  // A grant sharing the element but ending sooner leaves it at the later expiry.
  const b = testGrant("192.0.2.1", ["tcp/22", "tcp/80"], t + 30);
  const lines = await fw.open(b);
  assertEquals(lines.map((l) => l.replace(/.* expires at /, "")), [`${t + 60}`, `${t + 30}`]);
  assertEquals(k.els.get("fwknopd_allow4 192.0.2.1 . tcp . 22"), (t + 60) * 1000);
  assertEquals(k.els.get("fwknopd_allow4 192.0.2.1 . tcp . 80"), (t + 30) * 1000);
  await fw.close(b);
  assertEquals([...k.els.keys()], ["fwknopd_allow4 192.0.2.1 . tcp . 22"], "the shared one stays");
  // The repeat request extends it: its kernel expiry is read, the later one set.
  await fw.open(testGrant("192.0.2.1", ["tcp/22"], t + 90));
  assertEquals(k.els.get("fwknopd_allow4 192.0.2.1 . tcp . 22"), (t + 90) * 1000);
  await fw.close(a);
  assertEquals(k.els.size, 1, "the extended element outlives the first grant's close");
  await fw.close(testGrant("192.0.2.1", ["tcp/22"], t + 90));
  assertEquals(k.els.size, 0);
});

Deno.test("newElement: the kernel's key bytes of our set elements, nothing for maps or odd keys", () => {
  const hex = (e: NftNewElement | undefined) =>
    e === undefined ? undefined : [...e.key].map((b) => b.toString(16).padStart(2, "0")).join("");
  const el = (set: string, key: string, table = "inet filter") => ({ table, set, key });
  // As `nft --debug=netlink` shows them: each part in 4-byte words, network order.
  assertEquals(
    newElement(el("fwknopd_allow4", "10.0.0.1 . tcp . 22"), 30_000, "fleet_gw1"),
    {
      family: "inet",
      table: "filter",
      set: "fwknopd_allow4",
      key: new Uint8Array([10, 0, 0, 1, 6, 0, 0, 0, 0, 22, 0, 0]),
      timeoutMs: 30_000,
      comment: "fleet_gw1",
    },
  );
  assertEquals(
    hex(newElement(el("fwknopd_allow6d", "2001:db8::1 . ::1 . udp . 65535", "ip6 t"), 1)),
    "20010db8000000000000000000000001" + "00000000000000000000000000000001" + "11000000ffff0000",
  );
  assertEquals(newElement(el("fwknopd_allow6d", "::1 . ::1 . tcp . 1", "ip6 t"), 1)?.family, "ip6");
  assertEquals(
    hex(newElement(el("fwknopd_allow4_n24", "192.0.2.0 . tcp . 22"), 1)),
    "c0000200060000000016" + "0000",
  );
  assertEquals(hex(newElement(el("fwknopd_fwdall4", "192.0.2.7"), 1)), "c0000207");
  for (
    const e of [
      el("fwknopd_dnat4", "192.0.2.1 . tcp . 22"), // a map
      { ...el("fwknopd_allow4", "192.0.2.1 . tcp . 22"), value: "x" },
      el("fwknopd_allow4", "192.0.2.1 . icmp . 22"),
      el("fwknopd_allow4", "192.0.2.1 . tcp . 65536"),
      el("fwknopd_allow4", "2001:db8::1 . tcp . 22"),
      el("fwknopd_allow4", "192.0.2.1 . tcp"),
      el("fwknopd_other4", "192.0.2.1 . tcp . 22"),
      el("fwknopd_allow4", "192.0.2.1 . tcp . 22", "bridge filter"),
      el("fwknopd_allow4", "192.0.2.1 . tcp . 22", "filter"),
    ]
  ) assertEquals(newElement(e, 1), undefined, JSON.stringify(e));
  const ok = el("fwknopd_allow4", "192.0.2.1 . tcp . 22");
  assertEquals(newElement(ok, 1, "c".repeat(127))?.comment?.length, 127);
  assertEquals(newElement(ok, 1, "c".repeat(128)), undefined, "too long for nft");
});

/** The fake kernel with the netlink fast path: IPv4 `fwknopd_allow4` elements only. */
function fastKernel(nowMs: () => number, fail?: string) {
  const k = fakeKernel(nowMs);
  const created: NftNewElement[][] = [];
  const createElements = (els: readonly NftNewElement[]) => {
    created.push([...els]);
    if (fail !== undefined) return { code: 1, stdout: "", stderr: fail };
    const ids = els.map((e) => {
      const b = e.key;
      return `${e.set} ${b[0]}.${b[1]}.${b[2]}.${b[3]} . ${b[4] === 6 ? "tcp" : "udp"} . ${
        (b[8]! << 8) | b[9]!
      }`;
    });
    if (ids.some((id) => k.els.has(id))) {
      return { code: 1, stdout: "", stderr: "File exists (errno 17)" };
    }
    els.forEach((e, i) => k.els.set(ids[i]!, nowMs() + e.timeoutMs));
    return { code: 0, stdout: "", stderr: "" };
  };
  return { ...k, created, runner: { ...k.runner, createElements } };
}

Deno.test("nft open: the runner's fast path creates new elements without a script; a repeat goes the script way", async () => {
  const now = 1_800_000_000_000;
  const k = fastKernel(() => now);
  const fw = new Nftables(OPTS, k.runner, () => now);
  const t = now / 1000;
  const a = testGrant("192.0.2.1", ["tcp/22"], t + 60);
  assertEquals(await fw.open(a), [
    `Added element 192.0.2.1 . tcp . 22 to inet filter fwknopd_allow4, expires at ${t + 60}`,
  ]);
  assertEquals(k.scripts.length, 0, "no script");
  assertEquals(k.created.map((c) => c.map((e) => [e.set, e.timeoutMs])), [[[
    "fwknopd_allow4",
    60_000,
  ]]]);
  assertEquals(k.els.get("fwknopd_allow4 192.0.2.1 . tcp . 22"), (t + 60) * 1000);
  // There already: no create script (it would fail the same way), the robust path extends it.
  await fw.open(testGrant("192.0.2.1", ["tcp/22"], t + 90));
  assertEquals(k.scripts.some((s) => s.startsWith("create")), false, k.scripts.join(""));
  assertEquals(k.els.get("fwknopd_allow4 192.0.2.1 . tcp . 22"), (t + 90) * 1000);
  // Another failure of the fast path: the create script still tries.
  const broken = fastKernel(() => now, "netlink send: Operation not permitted (errno 1)");
  const fw2 = new Nftables(OPTS, broken.runner, () => now);
  await fw2.open(a);
  assertEquals(broken.scripts, [
    "create element inet filter fwknopd_allow4 { 192.0.2.1 . tcp . 22 timeout 1m }\n",
  ]);
  // NAT grants (maps) never take it.
  const nat = fastKernel(() => now);
  const fw3 = new Nftables({ ...OPTS, nat: true }, nat.runner, () => now);
  await fw3.open(grant("192.0.2.1", ["tcp/22"], { kind: "forward" }));
  assertEquals(nat.created, []);
});
