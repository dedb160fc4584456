/** The engine with an injected clock, the in-memory firewall and a memory replay cache. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { GrantTable } from "../../firewall/grants.ts";
import { MemoryFirewall } from "../../firewall/memory.ts";
import type { ExecResult } from "../sys/exec.ts";
import { newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { POLICY_DEFAULTS, type PolicyOptions } from "../policy/options.ts";
import type { ReplayEntry } from "../replay/cache.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { MessageType } from "../spa/message.ts";
import { encodeSpa } from "../spa/packet.ts";
import { Engine } from "./engine.ts";
import type { Level, Logger } from "./log.ts";

const T0 = 1_800_000_000;
const enc = new TextEncoder();
const OPTS: PolicyOptions = { ...POLICY_DEFAULTS };

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
  text(): string {
    return this.lines.join("\n");
  }
}

function setup(replay = new MemoryReplayCache()) {
  let ms = T0 * 1000;
  const fw = new MemoryFirewall();
  const log = new Lines();
  const nowMs = () => ms;
  const grants = new GrantTable(fw, { nowMs, log: (l, m) => log.log(l, m) });
  const ran: string[][] = [];
  const run = (argv: readonly string[]): Promise<ExecResult> => {
    ran.push([...argv]);
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  const stanza = {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [parseNet("ANY") as never],
    key: enc.encode("engine-key"),
    hmacKey: enc.encode("engine-hmac"),
    fwAccessTimeout: 5,
    enableCmdExec: true,
  };
  const engine = new Engine({ stanzas: [stanza], policy: OPTS }, {
    replay,
    grants,
    log,
    run,
    nowMs,
  });
  const packet = (message: string, extra: { timeout?: number; type?: number } = {}) => ({
    payload: encodeSpa({
      message,
      messageType: (extra.type ?? MessageType.ACCESS) as never,
      username: "alice",
      key: enc.encode("engine-key"),
      hmacKey: enc.encode("engine-hmac"),
      timestamp: Math.floor(ms / 1000),
      ...(extra.timeout === undefined ? {} : { clientTimeout: extra.timeout }),
    }).wire,
    src: parseAddr("192.0.2.1")!,
    dst: parseAddr("192.0.2.2")!,
    proto: 17,
    sport: 40000,
    dport: 62201,
  });
  return { fw, log, grants, engine, ran, packet, advance: (s: number) => (ms += s * 1000) };
}

Deno.test("engine: a good packet is recorded, then opened, and closes at its expiry", async () => {
  const replay = new MemoryReplayCache();
  const { fw, engine, grants, packet, advance } = setup(replay);
  await engine.handle(packet("198.51.100.7,tcp/22"));
  assertEquals(replay.size, 1);
  assertEquals(fw.rules.map((r) => [r.grant.src.text, r.grant.expiresAt]), [[
    "198.51.100.7",
    T0 + 5,
  ]]);
  assertEquals(engine.stats.granted, 1);
  advance(4);
  await grants.expire();
  assertEquals(fw.rules.length, 1, "still live one second before its expiry");
  advance(1);
  await grants.expire();
  assertEquals(fw.rules.length, 0, "closed at its expiry second");
});

Deno.test("engine: a firewall refusal is counted as failed, not granted", async () => {
  const { fw, engine, packet, log } = setup();
  fw.failNextOpen = "iptables exited with code 1";
  await engine.handle(packet("198.51.100.7,tcp/22"));
  assertEquals([engine.stats.granted, engine.stats.failed], [0, 1]);
  assert(/error: .*iptables exited with code 1/.test(log.text()), log.text());
});

Deno.test("engine: a repeated request for live access extends it or says it is open", async () => {
  const { fw, engine, packet, advance, log } = setup();
  await engine.handle(packet("198.51.100.7,tcp/22", { timeout: 60 }));
  advance(1);
  await engine.handle(packet("198.51.100.7,tcp/22", { timeout: 10 }));
  assertEquals([engine.stats.granted, engine.stats.alreadyOpen], [1, 1]);
  assert(/already open until/.test(log.text()), log.text());
  await engine.handle(packet("198.51.100.7,tcp/22", { timeout: 200 }));
  assertEquals(engine.stats.granted, 2);
  assertEquals(fw.rules.length, 1, "extended in place, not stacked");
});

Deno.test("engine: an unwritable replay record refuses the packet (fail closed)", async () => {
  const replay = new MemoryReplayCache();
  replay.claim = (_d: string, _e: ReplayEntry) => {
    throw new Error("No space left on device (os error 28)");
  };
  const { fw, engine, packet, log } = setup(replay);
  await engine.handle(packet("198.51.100.7,tcp/22"));
  assertEquals(fw.rules.length, 0);
  assertEquals(engine.stats.refused, 1);
  assert(/Cannot record the SPA digest.*No space left/.test(log.text()), log.text());
});

Deno.test("engine: the same packet twice at once opens once (atomic replay claim)", async () => {
  const { fw, engine, packet, log } = setup();
  const p = packet("198.51.100.7,tcp/22");
  await Promise.all([engine.handle(p), engine.handle({ ...p })]);
  assertEquals(fw.rules.length, 1);
  assertEquals(engine.stats.granted, 1);
  assert(/Replay detected from source IP: 192\.0\.2\.1/.test(log.text()), log.text());
});

Deno.test("engine: a command runs as argv, never through a shell", async () => {
  const { engine, packet, ran } = setup();
  await engine.handle(packet("198.51.100.7,touch /tmp/a;rm -rf /", { type: MessageType.COMMAND }));
  assertEquals(ran, [["touch", "/tmp/a;rm", "-rf", "/"]]);
});
