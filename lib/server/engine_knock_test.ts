/**
 * SPA packets and knock sequences through one engine: the same Verdict,
 * replay claim, grant table and wording table, checked by event code.
 */
import { assertEquals } from "../../tests/assert.ts";
import { grantSource } from "../../firewall/grant.ts";
import { GrantTable } from "../../firewall/grants.ts";
import { MemoryFirewall } from "../../firewall/memory.ts";
import type { ExecResult } from "../sys/exec.ts";
import { encryptSequence, sequenceKnocks } from "../../knock/sequence.ts";
import type { KnockStanza } from "../../knock/watcher.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import { newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { POLICY_DEFAULTS } from "../policy/options.ts";
import { EVENT_TEXT } from "../policy/verdict.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { MessageType } from "../spa/message.ts";
import { encodeSpa } from "../spa/packet.ts";
import { Engine } from "./engine.ts";
import { knockStanza } from "../../tests/knock_stanza.ts";
import type { Level, Logger, StructuredEvent } from "./log.ts";

const T0 = 1_800_000_000;
const enc = new TextEncoder();
const SRC = parseAddr("192.0.2.1")!;
const DST = parseAddr("192.0.2.2")!;
const KNOCK_KEY = "a long knock key";
const TCP_SYN = 0x02;

/** Keeps each line with the event code it came from (none for the engine's own lines). */
class Events implements Logger {
  readonly got: { code?: string; msg: string }[] = [];
  log(_level: Level, msg: string): void {
    this.got.push({ msg });
  }
  wants(level: Level): boolean {
    return level !== "debug";
  }
  logAll(lines: readonly { level: Level; msg: string; event?: StructuredEvent }[]): void {
    for (const l of lines) {
      this.got.push({ msg: l.msg, ...(l.event ? { code: l.event.code } : {}) });
    }
  }
}

function setup(knockExtra: Partial<KnockStanza> = {}) {
  const nowMs = () => T0 * 1000;
  const fw = new MemoryFirewall();
  const log = new Events();
  const replay = new MemoryReplayCache();
  const grants = new GrantTable(fw, { nowMs, log: (l, m) => log.log(l, m) });
  const run = (): Promise<ExecResult> => Promise.resolve({ code: 0, stdout: "", stderr: "" });
  const spa = {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [parseNet("ANY") as never],
    key: enc.encode("engine-key"),
    hmacKey: enc.encode("engine-hmac"),
    fwAccessTimeout: 5,
  };
  const knock: KnockStanza = knockStanza({
    index: 2,
    key: KNOCK_KEY,
    openPorts: [{ proto: "tcp", port: 10501 }],
    fwAccessTimeout: 5,
    ...knockExtra,
  });

  const engine = new Engine(
    { stanzas: [spa], knocks: [knock], knockSource: "pcap", policy: { ...POLICY_DEFAULTS } },
    { replay, grants, log, run, nowMs },
  );
  return { fw, log, replay, engine };
}

function spaPacket(): CapturedPacket {
  const wire = encodeSpa({
    message: "192.0.2.1,tcp/22",
    messageType: MessageType.ACCESS as never,
    username: "alice",
    key: enc.encode("engine-key"),
    hmacKey: enc.encode("engine-hmac"),
    timestamp: T0,
  }).wire;
  return { payload: wire, src: SRC, dst: DST, proto: 17, sport: 40000, dport: 62201 };
}

function knockPackets(): CapturedPacket[] {
  const { cipher } = encryptSequence(
    { allowIp: SRC.text, proto: "tcp", port: 22, username: "alice" },
    KNOCK_KEY,
  );
  return sequenceKnocks(cipher, 61000, false).map((k) => ({
    payload: "",
    src: SRC,
    dst: DST,
    proto: 6,
    sport: 50000,
    dport: k.port,
    tcpFlags: TCP_SYN,
  }));
}

async function send(engine: Engine, pkts: CapturedPacket[]): Promise<void> {
  for (const p of pkts) await engine.handle(p);
}

Deno.test("engine: SPA and knocks share the verdict, the replay claim, the grant table and the wording", async () => {
  const { fw, log, replay, engine } = setup();
  const spa = spaPacket();
  const knocks = knockPackets();
  await send(engine, [spa]);
  await send(engine, knocks);
  assertEquals(
    fw.rules.map((r) => [r.grant.origin.via, r.grant.src.text, r.grant.ports[0]!.port]),
    [["spa", "192.0.2.1", 22], ["knock", "192.0.2.1", 10501]],
  );
  assertEquals(replay.size, 2, "both claimed in the one replay cache");
  // The same two again: both are replays, refused by the same claim with the same event.
  await send(engine, [spa]);
  await send(engine, knocks);
  const codes = log.got.filter((l) => l.code !== undefined).map((l) => l.code);
  assertEquals(codes, ["source-match", "knock-accepted", "replay", "replay"]);
  assertEquals(engine.stats.granted, 2);
  assertEquals(engine.stats.alreadyOpen, 0, "the replays never reached the grant table");
  // Every event line is the wording table's line for its code.
  for (const l of log.got.filter((l) => l.code === "replay")) {
    assertEquals(l.msg.startsWith("Replay detected from source IP: 192.0.2.1"), true, l.msg);
  }
  const accepted = log.got.find((l) => l.code === "knock-accepted")!;
  assertEquals(
    accepted.msg,
    `[192.0.2.1] (stanza #2) ${EVENT_TEXT["knock-accepted"].text(["tcp/10501", "192.0.2.1"])}`,
  );
});

Deno.test("engine: a knock stanza's GRANT_SOURCE_PREFIX_V4 network and an SPA address inside it live side by side", async () => {
  const { fw, log, engine } = setup({ grantPrefixV4: 24 });
  await send(engine, [spaPacket()]);
  await send(engine, knockPackets());
  assertEquals(
    fw.rules.map((r) => [r.grant.origin.via, grantSource(r.grant), r.grant.ports[0]!.port]),
    [["spa", "192.0.2.1", 22], ["knock", "192.0.2.0/24", 10501]],
  );
  assertEquals(engine.stats.granted, 2);
  const accepted = log.got.find((l) => l.code === "knock-accepted")!;
  assertEquals(
    accepted.msg,
    "[192.0.2.1] (stanza #2) Knock sequence accepted: opening tcp/10501 for 192.0.2.0/24",
  );
  // The firewall's own line names the network too, as for an SPA network grant.
  assertEquals(log.got.some((l) => l.msg.includes("192.0.2.0/24 tcp/10501 expires at")), true);
});
