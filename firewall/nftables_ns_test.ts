/**
 * The nftables backend against the kernel, in a namespace of its own (the
 * nft binary runs there through `ip netns exec`): the backend contracts of
 * backend.ts, checked for real.
 */
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { skip } from "../tests/env.ts";
import { Netns, netnsUnavailable } from "../tests/netns.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { run, type Runner } from "../lib/sys/exec.ts";
import type { Grant } from "./grant.ts";
import { NFT_DEFAULTS, Nftables, type NftOptions } from "./nftables.ts";
import { nftBinary } from "./nft_run.ts";

const OPTS: NftOptions = { ...NFT_DEFAULTS };
const ADMIN = `table inet filter {
  chain input { type filter hook input priority filter; policy drop; tcp dport 2022 accept; }
}`;

function grant(src: string, port: number, expiresAt: number): Grant {
  return {
    src: parseAddr(src)!,
    ports: [{ proto: "tcp", port }],
    expiresAt,
    origin: { stanza: 1, pktSrc: parseAddr(src)!, via: "spa" },
  };
}

Deno.test({
  name:
    "nftables backend in a namespace: idempotent open, shared elements, tolerant close, flush only ours",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    const ns = await Netns.create("nftb");
    const inNs: Runner = (argv, o) => run(ns.wrap([...argv]), o);
    try {
      const file = await Deno.makeTempFile();
      await Deno.writeTextFile(file, ADMIN);
      await ns.must(["nft", "-f", file]);
      await Deno.remove(file);
      const set =
        async () => (await ns.must(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"]));
      let nowMs = Date.now();
      const fw = new Nftables(OPTS, nftBinary("nft", inNs), () => nowMs);
      await fw.init();
      await fw.init(); // twice: still one jump
      const chain = await ns.must(["nft", "list", "chain", "inet", "filter", "input"]);
      assertEquals(chain.split("jump fwknopd_input").length, 2, chain);
      const t = Math.floor(nowMs / 1000);
      const a = grant("192.0.2.1", 22, t + 60);
      await fw.open(a);
      await fw.open(a);
      assertMatch(await set(), /192\.0\.2\.1 \. tcp \. 22 timeout/);
      // A second grant sharing the element with a later expiry keeps it past the first's close.
      const b = {
        ...grant("192.0.2.1", 22, t + 120),
        ports: [{ proto: "tcp" as const, port: 22 }, { proto: "tcp" as const, port: 23 }],
      };
      await fw.open(b);
      await fw.close(a);
      assertMatch(await set(), /192\.0\.2\.1 \. tcp \. 22 timeout/);
      // An element the admin removed meanwhile: close is tolerant.
      await ns.must([
        "nft",
        "delete",
        "element",
        "inet",
        "filter",
        "fwknopd_allow4",
        "{ 192.0.2.1 . tcp . 23 }",
      ]);
      await fw.close(b);
      assert(!/192\.0\.2\.1/.test(await set()), await set());
      // An element left by an earlier run (our bookkeeping is empty): open still sets its timeout.
      await ns.must([
        "nft",
        "add",
        "element",
        "inet",
        "filter",
        "fwknopd_allow4",
        "{ 192.0.2.9 . tcp . 22 timeout 5s }",
      ]);
      const fresh = new Nftables(OPTS, nftBinary("nft", inNs), () => nowMs);
      await fresh.open(grant("192.0.2.9", 22, t + 3600));
      assertMatch(await set(), /192\.0\.2\.9 \. tcp \. 22 timeout (59m|1h)/);
      // An admin reloads the ruleset (flush ruleset): the next grant builds our part again.
      const reload = await Deno.makeTempFile();
      await Deno.writeTextFile(reload, `flush ruleset\n${ADMIN}\n`);
      await ns.must(["nft", "-f", reload]);
      await Deno.remove(reload);
      await fresh.open(grant("192.0.2.10", 22, t + 60));
      assertMatch(await set(), /192\.0\.2\.10 \. tcp \. 22 timeout/);
      const again = await ns.must(["nft", "list", "chain", "inet", "filter", "input"]);
      assertEquals(again.split("jump fwknopd_input").length, 2, again);
      nowMs += 1;
      await fresh.flush();
      const left = await ns.must(["nft", "list", "ruleset"]);
      assert(!/fwknopd/.test(left), left);
      assertMatch(left, /tcp dport 2022 accept/, "the admin's rule stays");
    } finally {
      await ns.delete();
    }
  },
});

Deno.test({
  name: "nftables backend in a namespace: grants of 30 days and of 2^23 s keep their whole timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    const ns = await Netns.create("nftl");
    const inNs: Runner = (argv, o) => run(ns.wrap([...argv]), o);
    try {
      const file = await Deno.makeTempFile();
      await Deno.writeTextFile(file, ADMIN);
      await ns.must(["nft", "-f", file]);
      await Deno.remove(file);
      const nowMs = Math.floor(Date.now() / 1000) * 1000;
      const t = nowMs / 1000;
      const fw = new Nftables(OPTS, nftBinary("nft", inNs), () => nowMs);
      await fw.init();
      // nft refuses `timeout 100000000ms` ("value too large"): anything past 27.7 hours.
      await fw.open(grant("192.0.2.30", 22, t + 2_600_000)); // FW_ACCESS_TIMEOUT 2600000
      await fw.open(grant("192.0.2.31", 22, t + 8_388_608)); // fwknopd's largest timeout
      await fw.open(grant("192.0.2.32", 22, t + 100_000)); // just past 27.7 hours
      const set = await ns.must(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"]);
      assertMatch(set, /192\.0\.2\.30 \. tcp \. 22 timeout 30d2h13m20s/);
      assertMatch(set, /192\.0\.2\.31 \. tcp \. 22 timeout 97d2h10m8s/);
      assertMatch(set, /192\.0\.2\.32 \. tcp \. 22 timeout 1d3h46m40s/);
    } finally {
      await ns.delete();
    }
  },
});
