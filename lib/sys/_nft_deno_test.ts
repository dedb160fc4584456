/**
 * The netlink fast path of the libnftables seam: the batch's bytes, and the
 * kernel's answers in a namespace of its own (the check runs in a Deno
 * process started there, since the socket belongs to the caller's
 * namespace).
 */
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { skip } from "../../tests/env.ts";
import { Netns, netnsUnavailable } from "../../tests/netns.ts";
import { canLoad } from "./libs.ts";
import { newElementsBatch } from "./_nft_deno.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("newElementsBatch: begin, one NEWSETELEM (create, excl, ack) with key, timeout, comment, end", () => {
  const key = new Uint8Array([10, 0, 0, 1, 6, 0, 0, 0, 0, 22, 0, 0]);
  const b = newElementsBatch([{
    family: "inet",
    table: "filter",
    set: "fwknopd_allow4",
    key,
    timeoutMs: 30_000,
    comment: "fleet_gw1",
  }], 7);
  assertEquals(
    hex(b),
    [
      // batch begin: len 20, type 0x10, request, seq 7; nfgenmsg res_id NFNL_SUBSYS_NFTABLES
      "14000000",
      "1000",
      "0100",
      "07000000",
      "00000000",
      "0000000a",
      // NEWSETELEM: len 108, type 0x0a0c, request|ack|excl|create, seq 7, family inet
      "6c000000",
      "0c0a",
      "0506",
      "07000000",
      "00000000",
      "01000000",
      "0b000100",
      "66696c74657200" + "00", // table "filter"
      "13000200",
      "66776b6e6f70645f616c6c6f7734" + "00" + "00", // set "fwknopd_allow4"
      "38000380",
      "34000180", // elements, one element
      "14000180",
      "10000100",
      "0a000001" + "06000000" + "00160000", // key: data value
      "0c000400",
      "0000000000007530", // timeout 30000 ms, big-endian
      "10000600",
      "000a",
      "666c6565745f67773100", // user data: comment "fleet_gw1"
      // batch end
      "14000000",
      "1100",
      "0100",
      "07000000",
      "00000000",
      "0000000a",
    ].join(""),
  );
  // Without a comment, no user data; two elements are two messages in one batch.
  const two = newElementsBatch([
    { family: "ip", table: "t", set: "s", key, timeoutMs: 1 },
    { family: "ip6", table: "t", set: "s", key, timeoutMs: 1 },
  ], 1);
  assertEquals(two.length, 20 + 2 * (20 + 8 + 8 + 4 + 4 + 20 + 12) + 20);
  assertEquals([two[20 + 16], two[20 + 76 + 16]], [2, 10]);
});

const CHECK = `
import { LibNftables } from ${JSON.stringify(new URL("./_nft_deno.ts", import.meta.url).href)};
const nft = LibNftables.open();
const el = { family: "inet", table: "filter", set: "fwknopd_allow4",
  key: new Uint8Array([192, 0, 2, 1, 6, 0, 0, 0, 0, 22, 0, 0]), timeoutMs: 3_600_000, comment: "fleet_gw" };
const r = [nft.createElements([el]), nft.createElements([el]), nft.createElements([{ ...el, set: "nope" }])];
const sockets = () => [...Deno.readDirSync("/proc/self/fd")]
  .filter((e) => { try { return Deno.readLinkSync("/proc/self/fd/" + e.name).startsWith("socket:"); } catch { return false; } }).length;
const open = sockets();
nft.stop();
const stopped = sockets();
const again = nft.createElements([{ ...el, key: new Uint8Array([192, 0, 2, 2, 6, 0, 0, 0, 0, 22, 0, 0]) }]);
console.log(JSON.stringify([...r.map((x) => [x.code, x.stderr]), open - stopped, again.code]));
`;

Deno.test({
  name:
    "LibNftables.createElements in a namespace: created, then File exists, a missing set refused; stop closes the socket",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    if (!canLoad("nftables")) return skip("libnftables is not installed");
    const ns = await Netns.create("nfnl");
    try {
      const file = await Deno.makeTempFile();
      await Deno.writeTextFile(
        file,
        "table inet filter { set fwknopd_allow4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }; }\n",
      );
      await ns.must(["nft", "-f", file]);
      await Deno.remove(file);
      const r = await ns.sh(["deno", "eval", CHECK], 30_000);
      assertEquals(JSON.parse(r.out.trim().split("\n").at(-1)!), [
        [0, ""],
        [1, "File exists (errno 17)"],
        [1, "No such file or directory (errno 2)"],
        1, // stop() closed the netlink socket
        0, // and the next create opened another
      ]);
      const set = await ns.must(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"]);
      assertMatch(set, /192\.0\.2\.1 \. tcp \. 22 timeout 1h expires \S+ comment "fleet_gw"/);
    } finally {
      await ns.delete();
    }
  },
});
