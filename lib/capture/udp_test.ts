import { createSocket } from "node:dgram";
import { assertEquals } from "../../tests/assert.ts";
import { openFfiUdp, openUdpServer } from "./udp.ts";
import { UdpServerSource } from "./udp_server.ts";
import { type CapturedPacket, type PacketSource, payloadText } from "./packet.ts";

type Opened = PacketSource & { readonly port: number };

async function roundTrip(open: () => Promise<Opened>): Promise<void> {
  const src = await open();
  const sender = createSocket("udp4");
  await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
  const sport = sender.address().port;
  const want = Array.from({ length: 200 }, (_, i) => `datagram-${i}-` + "x".repeat(i % 50));
  const got: CapturedPacket[] = [];
  const reader = (async () => {
    for await (const batch of src.batches()) {
      got.push(...batch);
      if (got.length >= want.length) break;
    }
  })();
  // One datagram longer than any SPA packet first: it must not come out.
  await new Promise((r) => sender.send(new Uint8Array(3000), src.port, "127.0.0.1", r));
  for (const w of want) {
    await new Promise((r) => sender.send(w, src.port, "127.0.0.1", r));
  }
  await reader;
  sender.close();
  src.close();
  assertEquals(got.map((p) => payloadText(p.payload)).filter((p) => p.length < 3000), want);
  assertEquals(got[0]!.src.text, "127.0.0.1");
  assertEquals(got[0]!.sport, sport);
  assertEquals(got[0]!.dport, src.port);
  assertEquals(got[0]!.dst.text, "0.0.0.0");
  assertEquals(got[0]!.proto, 17);
}

Deno.test("UDP server over recvmmsg (FFI) delivers datagrams in order with their source", async () => {
  await roundTrip(() => openFfiUdp(0, "127.0.0.1"));
});

Deno.test("UDP server over node:dgram delivers datagrams in order with their source", async () => {
  await roundTrip(() => UdpServerSource.open(0, "127.0.0.1"));
});

Deno.test("the UDP seam picks recvmmsg when FFI is allowed", async () => {
  const s = await openUdpServer(0, "127.0.0.1");
  s.close();
  assertEquals(s.kind, "recvmmsg");
});

Deno.test("a bound port is refused with errno text, not a crash", async () => {
  const a = await openFfiUdp(0, "127.0.0.1");
  let msg = "";
  try {
    await openFfiUdp(a.port, "127.0.0.1");
  } catch (e) {
    msg = (e as Error).message;
  }
  a.close();
  assertEquals(/Cannot bind UDP 127\.0\.0\.1:\d+: .*errno 98/.test(msg), true, msg);
});

Deno.test("UDP sources drop what the prefilter turns away and count it", async () => {
  for (
    const open of [
      () => openFfiUdp(0, "127.0.0.1"),
      () => UdpServerSource.open(0, "127.0.0.1"),
    ]
  ) {
    const src: Opened & { screened: number } = await open();
    const sender = createSocket("udp4");
    const got: string[] = [];
    const keep = (first: number, length: number) => first === 0x38 && length === 3;
    const reader = (async () => {
      for await (const batch of src.batches(keep)) {
        got.push(...batch.map((p) => payloadText(p.payload)));
        if (got.includes("8zz")) break;
      }
    })();
    for (const w of ["xyz", "8abc", "", "8ok", "9no", "8zz"]) {
      await new Promise((r) => sender.send(w, src.port, "127.0.0.1", r));
    }
    await reader;
    sender.close();
    src.close();
    assertEquals(got, ["8ok", "8zz"]);
    assertEquals(src.screened, 4);
  }
});

/** One datagram from `from` to the dual-stack server; returns the source it reports. */
async function sourceSeen(open: () => Promise<Opened>, family: "udp4" | "udp6"): Promise<string> {
  const src = await open();
  const sender = createSocket(family);
  const local = family === "udp4" ? "127.0.0.1" : "::1";
  await new Promise<void>((r) => sender.bind(0, local, () => r()));
  const reader = (async () => {
    for await (const batch of src.batches()) if (batch.length > 0) return batch[0]!;
    throw new Error("no datagram");
  })();
  await new Promise((r) => sender.send("hello", src.port, local, r));
  const p = await reader;
  sender.close();
  src.close();
  return `${p.src.text} ${p.src.family} ${p.dst.text}`;
}

for (
  const [name, open] of [
    ["recvmmsg (FFI)", () => openFfiUdp(0)],
    ["node:dgram", () => UdpServerSource.open(0)],
  ] as [string, () => Promise<Opened>][]
) {
  Deno.test(`UDP server over ${name} takes IPv4 and IPv6 on one socket`, async () => {
    // IPv4 senders show as IPv4 (not ::ffff:127.0.0.1), IPv6 ones as IPv6.
    assertEquals(await sourceSeen(open, "udp4"), "127.0.0.1 4 0.0.0.0");
    assertEquals(await sourceSeen(open, "udp6"), "::1 6 ::");
  });
}
