import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { MultiSource } from "./multi.ts";
import { type CapturedPacket, type PacketSource, payloadText, type Prefilter } from "./packet.ts";
import { FakeSource } from "../../tests/fake_capture.ts";

/** An opener over fakes: each open makes a new fake; names in `missing` fail. */
function opener(missing = new Set<string>()) {
  const made: FakeSource[] = [];
  const open = (intf: string): Promise<PacketSource> => {
    if (missing.has(intf)) {
      return Promise.reject(new Error(`Cannot capture on "${intf}": No such device exists`));
    }
    const s = new FakeSource(intf);
    made.push(s);
    return Promise.resolve(s);
  };
  const last = (intf: string) => made.filter((s) => s.name === intf).at(-1)!;
  return { made, open, last, missing };
}

/** Reads payloads until `n` have come. */
async function take(it: AsyncIterator<CapturedPacket[]>, n: number): Promise<string[]> {
  const got: string[] = [];
  while (got.length < n) {
    const r = await it.next();
    if (r.done) break;
    got.push(...r.value.map((p) => payloadText(p.payload)));
  }
  return got;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  assert(cond(), "condition never held");
};

Deno.test("multi: packets from every interface come through one source, with the prefilter", async () => {
  const o = opener();
  const lines: string[] = [];
  const m = await MultiSource.open(["eth0", "wg0"], {
    open: o.open,
    log: (_l, msg) => lines.push(msg),
    exitAtIntfDown: true,
  });
  assertEquals(m.intfs, ["eth0", "wg0"]);
  const keep: Prefilter = () => true;
  const it = m.batches(keep)[Symbol.asyncIterator]();
  o.last("eth0").push("a1", "a2");
  o.last("wg0").push("b1");
  const got = await take(it, 3);
  assertEquals(got.sort(), ["a1", "a2", "b1"]);
  assertEquals(o.last("eth0").keep, keep);
  assertEquals(o.last("wg0").keep, keep);
  o.last("eth0").screened = 5;
  o.last("wg0").screened = 2;
  assertEquals(m.screened, 7);
  m.close();
  assert(o.made.every((s) => s.closed));
  assertEquals((await it.next()).done, true);
  assertEquals(lines, []);
});

Deno.test("multi: a missing interface fails the start naming it, and closes the others", async () => {
  const o = opener(new Set(["wg9"]));
  await assertRejects(
    () => MultiSource.open(["eth0", "wg9"], { open: o.open, log: () => {}, exitAtIntfDown: true }),
    Error,
    `Cannot capture on "wg9"`,
  );
  assertEquals(o.made.length, 1);
  assert(o.made[0]!.closed, "eth0's capture left open");
});

Deno.test("multi: a flood on one interface does not starve another", async () => {
  const o = opener();
  const m = await MultiSource.open(["eth0", "wg0"], {
    open: o.open,
    log: () => {},
    exitAtIntfDown: true,
  });
  const it = m.batches()[Symbol.asyncIterator]();
  // eth0 has a thousand batches ready before wg0 sends one.
  for (let i = 0; i < 1000; i++) o.last("eth0").push(`flood${i}`);
  await take(it, 1);
  o.last("wg0").push("spa");
  const got = await take(it, 6);
  assert(got.includes("spa"), `wg0's packet waited behind the flood: ${got.join(" ")}`);
  m.close();
});

Deno.test("multi: EXIT_AT_INTF_DOWN Y ends the source with the interface named", async () => {
  const o = opener();
  const m = await MultiSource.open(["eth0", "wg0"], {
    open: o.open,
    log: () => {},
    exitAtIntfDown: true,
  });
  const it = m.batches()[Symbol.asyncIterator]();
  o.last("wg0").fail("The interface went down");
  await assertRejects(() => take(it, 1), Error, "wg0: The interface went down");
  assert(o.made.every((s) => s.closed), "a capture left open after the fatal error");
});

Deno.test("multi: EXIT_AT_INTF_DOWN N reopens that interface alone; the other keeps going", async () => {
  const o = opener();
  const lines: string[] = [];
  const m = await MultiSource.open(["eth0", "wg0"], {
    open: o.open,
    log: (l, msg) => lines.push(`${l} ${msg}`),
    exitAtIntfDown: false,
    reopenMs: 5,
  });
  const it = m.batches()[Symbol.asyncIterator]();
  const first = o.last("wg0");
  o.missing.add("wg0");
  first.fail("The interface went down");
  await until(() => lines.length > 0);
  assertEquals(
    lines[0],
    [
      "error [*] Error from pcap_dispatch on wg0: The interface went down",
      "(EXIT_AT_INTF_DOWN N: capture resumes when the interface is back)",
    ].join(" "),
  );
  o.last("eth0").push("still");
  assertEquals(await take(it, 1), ["still"]);
  o.missing.delete("wg0");
  await until(() => o.last("wg0") !== first);
  await until(() => lines.includes("info Capture resumed on wg0."));
  o.last("wg0").push("back");
  assertEquals(await take(it, 1), ["back"]);
  m.close();
  assert(o.made.every((s) => s.closed));
});

Deno.test("multi: set() opens new interfaces before closing old ones; a failure changes nothing", async () => {
  const o = opener(new Set(["bad0"]));
  const m = await MultiSource.open(["eth0"], { open: o.open, log: () => {}, exitAtIntfDown: true });
  const it = m.batches()[Symbol.asyncIterator]();
  await assertRejects(() => m.set(["bad0"]), Error, `"bad0"`);
  assertEquals(m.intfs, ["eth0"]);
  assert(!o.last("eth0").closed);
  const old = o.last("eth0");
  old.screened = 3;
  await m.set(["wg0"]);
  assertEquals(m.intfs, ["wg0"]);
  assert(old.closed, "the old capture stays open");
  o.last("wg0").push("new");
  assertEquals(await take(it, 1), ["new"]);
  await until(() => m.screened === 3); // what the old capture screened still counts
  m.close();
});

Deno.test("multi: setFilter reaches every capture and those opened later", async () => {
  const filters: string[] = [];
  const made: (FakeSource & { filter?: string })[] = [];
  const open = (intf: string, filter?: string): Promise<PacketSource> => {
    const s = Object.assign(new FakeSource(intf), {
      filter,
      setFilter(f: string) {
        if (f === "bad") throw new Error("syntax error");
        s.filter = f;
        filters.push(`${intf} ${f}`);
      },
    });
    made.push(s);
    return Promise.resolve(s);
  };
  const m = await MultiSource.open(["eth0", "wg0"], { open, log: () => {}, exitAtIntfDown: true });
  m.setFilter!("udp port 62201 or tcp port 1000");
  assertEquals(filters, [
    "eth0 udp port 62201 or tcp port 1000",
    "wg0 udp port 62201 or tcp port 1000",
  ]);
  assertThrows(
    () => m.setFilter!("bad"),
    Error,
    "Cannot set the pcap filter on eth0: syntax error",
  );
  await m.set(["eth0", "wg0", "ppp0"]);
  assertEquals(made.at(-1)!.filter, "udp port 62201 or tcp port 1000");
  m.close();
});

Deno.test("multi: captures that cannot change their filter (cap under Node) leave setFilter absent", async () => {
  const o = opener();
  const m = await MultiSource.open(["eth0", "wg0"], {
    open: o.open,
    log: () => {},
    exitAtIntfDown: true,
  });
  assertEquals(m.setFilter, undefined);
  m.close();
});
