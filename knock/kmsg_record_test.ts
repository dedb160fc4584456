import fc from "npm:fast-check@3.23.2";
import { assert, assertEquals } from "../tests/assert.ts";
import { isRoot, skip } from "../tests/env.ts";
import { openRecordDevice } from "../lib/sys/follow.ts";
import { kernelMessage, KMSG_RECORD_MAX, parseKmsgRecord } from "./kmsg_record.ts";

const LINE =
  "knock IN=veth1 OUT= MAC= SRC=203.0.113.99 DST=198.51.100.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40000 DPT=7001 WINDOW=0 RES=0x00 SYN URGP=0 ";

Deno.test("kmsg records: the kernel's facility only, whole records only", () => {
  assertEquals(kernelMessage(`4,1017,4341366502,-;${LINE}`), LINE);
  assertEquals(parseKmsgRecord(`14,9,1,-;${LINE}`)?.facility, 1);
  // Dictionary lines after the message are not part of it.
  assertEquals(kernelMessage(`6,2,3,-;${LINE}\n SUBSYSTEM=net\n DEVICE=+net:veth1\n`), LINE);
  // Newer kernels may add fields after the flag.
  assertEquals(kernelMessage(`6,2,3,-,caller=T123;${LINE}`), LINE);
  for (
    const bad of [
      `12,1,1,-;${LINE}`, // LOG_USER: what user space writes
      `8,1,1,-;${LINE}`, // LOG_USER, level 0 (`<0>` from user space)
      `191,1,1,-;${LINE}`, // local7
      `6,1,1,c;${LINE}`, // the start of a continued line
      `6,1,1,+;${LINE}`, // a continuation (old kernels)
      `6,1,1,x;${LINE}`,
      `6,1,1;${LINE}`,
      `6,1,-;${LINE}`,
      `-6,1,1,-;${LINE}`,
      `06x,1,1,-;${LINE}`,
      `2048,1,1,-;${LINE}`,
      ` 6,1,1,-;${LINE}`,
      `6,1,1,-${LINE}`,
      LINE,
      "",
      `6,1,1,-;${"x".repeat(KMSG_RECORD_MAX)}`,
    ]
  ) assertEquals(kernelMessage(bad), undefined, bad);
});

Deno.test("kmsg records: random text never throws", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(3000), (s, p) => {
      parseKmsgRecord(s);
      const r = parseKmsgRecord(`${p},1,1,-;${s}`);
      assertEquals(r === undefined || (r.facility === p >> 3 && r.level === (p & 7)), true);
    }),
    { numRuns: 2000 },
  );
});

Deno.test({
  name: "kmsg records: what root writes to /dev/kmsg never has the kernel's facility",
  sanitizeResources: false,
  async fn() {
    if (!isRoot()) return skip("needs root to write to /dev/kmsg");
    let dev;
    try {
      dev = await openRecordDevice("/dev/kmsg");
    } catch (e) {
      return skip(`cannot read /dev/kmsg: ${(e as Error).message}`);
    }
    const buf = new Uint8Array(KMSG_RECORD_MAX);
    const dec = new TextDecoder();
    try {
      while ((await dev.read(buf)) !== "again") { /* the backlog */ }
      const tag = `fwknop-ts-forge-${Deno.pid}-${Date.now()}`;
      const prefixes = ["<0>", "<4>", "<6>", "<7>", "<8>", "<14>", "<191>", "", "<0>kernel: "];
      for (const [i, p] of prefixes.entries()) {
        // One open per write: the kernel's write rate limit is per open file.
        await Deno.writeTextFile("/dev/kmsg", `${p}${tag}-${i} ${LINE}\n`, { append: true });
      }
      const seen = new Map<number, string>();
      for (;;) {
        const n = await dev.read(buf);
        if (n === "again" || n === null) break;
        if (n === "lost") continue;
        const rec = dec.decode(buf.subarray(0, n));
        const m = new RegExp(`;(?:kernel: )?${tag}-(\\d+) `).exec(rec);
        if (m !== null) seen.set(Number(m[1]), rec);
      }
      assertEquals(seen.size, prefixes.length, [...seen.values()].join("\n"));
      for (const [i, rec] of seen) {
        const r = parseKmsgRecord(rec);
        assert(r !== undefined && r.facility !== 0, `"${prefixes[i]}" gave facility 0: ${rec}`);
        assertEquals(kernelMessage(rec), undefined, rec);
      }
    } finally {
      await dev.close();
    }
  },
});
