/** CMD_CYCLE through the engine: real SPA packets, an injected clock, fake timers. */
import { assert, assertEquals } from "../../tests/assert.ts";
import type { ExecResult } from "../sys/exec.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { POLICY_DEFAULTS } from "../policy/options.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { MessageType } from "../spa/message.ts";
import { encodeSpa } from "../spa/packet.ts";
import { Engine } from "./engine.ts";
import type { Level, Logger } from "./log.ts";

const T0 = 1_800_000_000;
const enc = new TextEncoder();

class Lines implements Logger {
  readonly lines: string[] = [];
  log(level: Level, msg: string): void {
    this.lines.push(`${level}: ${msg}`);
  }
  wants(level: Level): boolean {
    return level !== "debug";
  }
  logAll(lines: readonly { level: Level; msg: string }[]): void {
    for (const l of lines) this.log(l.level, l.msg);
  }
}

function setup(extra: Partial<AccessStanza>) {
  let ms = T0 * 1000;
  const timers: { fn: () => void; at: number }[] = [];
  const schedule = {
    setTimeout: (fn: () => void, d: number) => timers.push({ fn, at: ms + d }),
    clearTimeout: (h: unknown) => {
      const t = timers[(h as number) - 1];
      if (t !== undefined) t.at = Infinity;
    },
  };
  const log = new Lines();
  const ran: string[][] = [];
  const run = (argv: readonly string[]): Promise<ExecResult> => {
    ran.push([...argv]);
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  const stanza: AccessStanza = {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [parseNet("ANY") as never],
    key: enc.encode("cycle-key"),
    hmacKey: enc.encode("cycle-hmac"),
    cmdCycleOpen: "/usr/sbin/nft add element inet fw allow { $IP . $PROTO . $DST_PORT } $USER",
    cmdCycleClose: "/usr/sbin/nft delete element inet fw allow { $IP . $PROTO . $DST_PORT }",
    cmdCycleTimer: 30,
    cmdCyclePerPort: true,
    ...extra,
  };
  const engine = new Engine({ stanzas: [stanza], policy: { ...POLICY_DEFAULTS } }, {
    replay: new MemoryReplayCache(),
    grants: undefined,
    log,
    run,
    nowMs: () => ms,
    schedule,
  });
  const packet = (message: string, o: { timeout?: number; username?: string } = {}) => ({
    payload: encodeSpa({
      message,
      messageType: o.timeout === undefined ? MessageType.ACCESS : MessageType.CLIENT_TIMEOUT_ACCESS,
      username: o.username ?? "alice",
      key: enc.encode("cycle-key"),
      hmacKey: enc.encode("cycle-hmac"),
      timestamp: Math.floor(ms / 1000),
      ...(o.timeout === undefined ? {} : { clientTimeout: o.timeout }),
    }).wire,
    src: parseAddr("203.0.113.9")!,
    dst: parseAddr("198.51.100.1")!,
    proto: 17,
    sport: 40000,
    dport: 62201,
  });
  /** Moves the clock and fires the timers due, then lets their commands run. */
  const advance = async (s: number) => {
    ms += s * 1000;
    for (
      let t = timers.find((x) => x.at <= ms);
      t !== undefined;
      t = timers.find((x) => x.at <= ms)
    ) {
      t.at = Infinity;
      t.fn();
    }
    await new Promise((r) => setTimeout(r, 0));
  };
  const words = () => ran.map((a) => a.slice(1, 3).concat(a.slice(6)).join(" "));
  return { engine, ran, log, packet, advance, words };
}

Deno.test("engine cycle: CMD_CYCLE_PER_PORT opens each requested port, and closes each at expiry", async () => {
  const { engine, packet, advance, words, log } = setup({});
  await engine.handle(packet("192.0.2.5,tcp/22,udp/53"));
  assertEquals(words(), [
    "add element { 192.0.2.5 . 6 . 22 } alice",
    "add element { 192.0.2.5 . 17 . 53 } alice",
  ]);
  assertEquals(engine.stats.granted, 1);
  await advance(29);
  assertEquals(words().length, 2);
  await advance(1);
  assertEquals(words().slice(2), [
    "delete element { 192.0.2.5 . 6 . 22 }",
    "delete element { 192.0.2.5 . 17 . 53 }",
  ]);
  assert(
    log.lines.includes(
      "info: [203.0.113.9] (stanza #1) Running CMD_CYCLE_OPEN command: " +
        "/usr/sbin/nft add element inet fw allow { 192.0.2.5 . 6 . 22 } alice",
    ),
    log.lines.join("\n"),
  );
});

Deno.test("engine cycle: a repeat SPA packet for a live cycle moves its close time (fwknop#256)", async () => {
  const { engine, packet, advance, words } = setup({ cmdCyclePerPort: false });
  await engine.handle(packet("192.0.2.5,tcp/22"));
  await advance(20);
  await engine.handle(packet("192.0.2.5,tcp/22"));
  assertEquals(words(), ["add element { 192.0.2.5 . 6 . 22 } alice"], "OPEN ran once");
  assertEquals([engine.stats.granted, engine.stats.alreadyOpen], [2, 0]);
  await advance(10);
  assertEquals(words().length, 1, "still open at the first packet's expiry");
  await advance(20);
  assertEquals(words().slice(1), ["delete element { 192.0.2.5 . 6 . 22 }"]);
  // A shorter client timeout while live says so and changes nothing.
  await engine.handle(packet("192.0.2.5,tcp/22", { timeout: 60 }));
  await engine.handle(packet("192.0.2.5,tcp/22", { timeout: 5 }));
  assertEquals(engine.stats.alreadyOpen, 1);
  await advance(60);
  assertEquals(words().length, 4, "opened again once, closed once");
});

Deno.test("engine cycle: an authenticated client's hostile username stays one argv element", async () => {
  const { engine, packet, ran } = setup({});
  const user = "x } ; flush ruleset ; { $IP -j ACCEPT";
  // libfko's username rule refuses ';' but allows blanks, braces and '$'.
  const name = user.replaceAll(";", "");
  await engine.handle(packet("192.0.2.5,tcp/22", { username: name }));
  assertEquals(ran.length, 1);
  assertEquals(ran[0]!.at(-1), name);
  assertEquals(ran[0]!.length, 14);
});

Deno.test("engine cycle: per port, RESTRICT_PORTS and OPEN_PORTS hold (fwknopd's one-port cycle ignores them)", async () => {
  const restrict = { restrictPorts: [{ proto: "tcp" as const, port: 23 }] };
  const perPort = setup(restrict);
  await perPort.engine.handle(perPort.packet("192.0.2.5,tcp/22,tcp/23"));
  assertEquals(perPort.ran.length, 0);
  assertEquals(perPort.engine.stats.refused, 1);
  const only = setup({ openPorts: [{ proto: "tcp", port: 22 }] });
  await only.engine.handle(only.packet("192.0.2.5,tcp/22,udp/53"));
  assertEquals(only.ran.length, 0, "udp/53 is not in OPEN_PORTS");
  await only.engine.handle(only.packet("192.0.2.5,tcp/22"));
  assertEquals(only.words(), ["add element { 192.0.2.5 . 6 . 22 } alice"]);
  const classic = setup({ ...restrict, cmdCyclePerPort: false });
  await classic.engine.handle(classic.packet("192.0.2.5,tcp/22,tcp/23"));
  assertEquals(classic.words(), ["add element { 192.0.2.5 . 6 . 22 } alice"]);
});

Deno.test("engine cycle: stopping the daemon runs the pending closes", async () => {
  const { engine, packet, words } = setup({});
  await engine.handle(packet("192.0.2.5,tcp/22,udp/53"));
  await engine.closeCycles();
  assertEquals(words().slice(2), [
    "delete element { 192.0.2.5 . 6 . 22 }",
    "delete element { 192.0.2.5 . 17 . 53 }",
  ]);
});
