import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { getopt } from "../cli/getopt.ts";
import type { PacketSource } from "../capture/packet.ts";
import { serverFlags } from "./flags.ts";
import { type KnockRunning, reloadKnocks } from "./knock_reload.ts";
import { load, type Loaded } from "./load.ts";
import type { Level, Logger } from "./log.ts";
import { SERVER_OPTIONS } from "./options.ts";

const dir = Deno.makeTempDirSync({ prefix: "knock-reload-" });
const SPA = "SOURCE ANY\nKEY testtesttest\nREQUIRE_SOURCE_ADDRESS Y\n";
const KNOCK = "SOURCE ANY\nSHARED_SEQUENCE tcp/7001, udp/7002\nOPEN_PORTS tcp/22\n";

function loaded(conf: string, access: string): Loaded {
  Deno.writeTextFileSync(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n${conf}`, { mode: 0o600 });
  Deno.writeTextFileSync(`${dir}/access.conf`, access, { mode: 0o600 });
  const args = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
  return load(serverFlags(getopt(args, SERVER_OPTIONS, "fwknopd-ts").options));
}

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (level: Level, msg: string) => lines.push(`${level}: ${msg}`),
    wants: () => true,
    logAll: (ls) => ls.forEach((l) => lines.push(`${l.level}: ${l.msg}`)),
  };
}

function capture(setFilter?: (f: string) => void): PacketSource {
  return {
    screened: 0,
    close() {},
    async *batches() {},
    ...(setFilter === undefined ? {} : { setFilter }),
  };
}

const PCAP = "PCAP_FILTER udp port 62201;\n";

Deno.test("knock reload: pcap: the running capture's filter gains and loses the knock ports", () => {
  const set: string[] = [];
  const run: KnockRunning = {
    capture: capture((f) => set.push(f)),
    logSource: false,
    startLogSource: () => assert(false, "no log source with KNOCK_SOURCE pcap"),
  };
  const log = logger();
  const a = loaded(PCAP, SPA);
  const b = loaded(PCAP, `${SPA}\n${KNOCK}`);
  reloadKnocks(a, b, run, log);
  assertEquals(set, ["(udp port 62201) or (tcp dst port 7001) or (udp dst port 7002)"]);
  assert(log.lines.includes(`info: PCAP filter is: '${set[0]}'`), log.lines.join("\n"));
  assert(log.lines.includes("info: Watching 1 knock stanza (pcap) after the reload."));
  reloadKnocks(b, loaded(PCAP, `${KNOCK}\n${SPA}`.replace("7002", "7002, tcp/7003")), run, log);
  assertEquals(
    set[1],
    "(udp port 62201) or (tcp dst port 7001) or (udp dst port 7002) or (tcp dst port 7003)",
  );
  reloadKnocks(b, a, run, log);
  assertEquals(set[2], "udp port 62201");
  // Same stanzas: nothing touched.
  reloadKnocks(a, loaded(PCAP, SPA), run, log);
  assertEquals(set.length, 3);
});

Deno.test("knock reload: a capture that cannot change its filter, or refuses it, is named", () => {
  const log = logger();
  const run = (cap: PacketSource): KnockRunning => ({
    capture: cap,
    logSource: false,
    startLogSource: () => {},
  });
  reloadKnocks(loaded(PCAP, SPA), loaded(PCAP, `${SPA}\n${KNOCK}`), run(capture()), log);
  assert(
    log.lines.includes(
      "warning: Knock stanzas changed: the capture filter takes their ports when fwknopd-ts is restarted",
    ),
    log.lines.join("\n"),
  );
  reloadKnocks(
    loaded(PCAP, SPA),
    loaded(PCAP, `${SPA}\n${KNOCK}`),
    run(capture(() => {
      throw new Error('Cannot set pcap filter "x": out of memory');
    })),
    log,
  );
  assertMatch(
    log.lines.join("\n"),
    /error: Cannot add the knock ports to the capture filter, keeping the old one \(restart fwknopd-ts\): Cannot set pcap filter/,
  );
});

Deno.test("knock reload: a LOG source starts with the first knock stanza, and only once", () => {
  let started = 0;
  const run: KnockRunning = {
    capture: capture((f) => assert(false, `filter set to ${f}`)),
    logSource: false,
    startLogSource: () => started++,
  };
  const kmsg = "KNOCK_SOURCE kmsg;\n";
  reloadKnocks(loaded(kmsg, SPA), loaded(kmsg, SPA), run, logger());
  assertEquals(started, 0);
  reloadKnocks(loaded(kmsg, SPA), loaded(kmsg, `${SPA}\n${KNOCK}`), run, logger());
  assertEquals(started, 1);
  run.logSource = true;
  reloadKnocks(loaded(kmsg, `${SPA}\n${KNOCK}`), loaded(kmsg, `${KNOCK}\n${KNOCK}`), run, logger());
  assertEquals(started, 1);
});

Deno.test("knock reload: a new KNOCK_SOURCE waits for the restart; the running one keeps the stanzas", () => {
  const set: string[] = [];
  const log = logger();
  const next = loaded("KNOCK_SOURCE kmsg;\n" + PCAP, `${SPA}\n${KNOCK}`);
  assertEquals(next.settings.knockSource, "log");
  reloadKnocks(loaded(PCAP, SPA), next, {
    capture: capture((f) => set.push(f)),
    logSource: false,
    startLogSource: () => assert(false, "the LOG source waits for the restart"),
  }, log);
  assert(
    log.lines.includes(
      "warning: KNOCK_SOURCE changed: it takes effect when fwknopd-ts is restarted",
    ),
  );
  assertEquals(next.settings.knockSource, "pcap");
  assertEquals(set.length, 1);
});
