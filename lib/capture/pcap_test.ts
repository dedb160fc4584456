import { assert, assertEquals } from "../../tests/assert.ts";
import { pcapFile } from "../../tests/pcap.ts";
import { openPcap } from "./pcap.ts";
import { payloadText } from "./packet.ts";

async function withFile(n: number, payload: (i: number) => string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-pcap-test-" });
  const file = `${dir}/t.pcap`;
  const records = Array.from({ length: n }, (_, i) => ({ payload: payload(i), dport: 62201 }));
  await Deno.writeFile(file, pcapFile(records));
  return file;
}

const open = (file: string) =>
  openPcap({ file, filter: "udp port 62201", promisc: false, snaplen: 1500, anyDirection: false });

Deno.test("pcap: a file comes in batches, in order, through the BPF filter", async () => {
  const file = await withFile(300, (i) => `packet-${i}`);
  const got: string[] = [];
  let batches = 0;
  for await (const b of (await open(file)).batches()) {
    batches++;
    got.push(...b.map((p) => payloadText(p.payload)));
  }
  assertEquals(got, Array.from({ length: 300 }, (_, i) => `packet-${i}`));
  assert(batches >= 5 && batches < 300, `${batches} batches`);
  await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
});

Deno.test("pcap: the prefilter drops payloads and counts them; empty batches still come", async () => {
  const file = await withFile(200, (i) => (i % 2 === 0 ? "8keep" : "drop"));
  const src = await open(file);
  let got = 0;
  let seen = 0;
  for await (const b of src.batches((first) => first === 0x38)) {
    got += b.length;
    seen++;
  }
  assertEquals(got, 100);
  assertEquals(src.screened, 100);
  assert(seen > 0);
  const all = await withFile(130, () => "drop");
  const src2 = await open(all);
  let yields = 0;
  for await (const b of src2.batches(() => false)) {
    assertEquals(b.length, 0);
    yields++;
  }
  assertEquals(src2.screened, 130);
  assert(yields >= 3, `only ${yields} batches for 130 screened packets`);
});

Deno.test("pcap: a reader that always finds data still lets timers run", async () => {
  // A file is a source that never runs dry: without stepping aside, reading
  // it is one long chain of promises and no timer fires until the end.
  const file = await withFile(8000, (i) => `p${i}`);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let ticksDuringRead = 0;
  for await (const _ of (await open(file)).batches()) {
    const until = performance.now() + 0.3; // some work per batch
    while (performance.now() < until) { /* busy */ }
    ticksDuringRead = ticks;
  }
  clearInterval(timer);
  assert(ticksDuringRead >= 2, `timers ran ${ticksDuringRead} times during a long read`);
});
