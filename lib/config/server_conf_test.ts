import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConfigError } from "./lexer.ts";
import { loadServerConfig } from "./server_conf.ts";

async function conf(text: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, text);
  return `${dir}/fwknopd.conf`;
}

Deno.test("KNOCK_SOURCE syslog is refused without KNOCK_SYSLOG_FORGEABLE Y", async () => {
  const path = await conf("PCAP_INTF lo\nKNOCK_SOURCE syslog\n");
  assertThrows(
    () => loadServerConfig(path),
    ConfigError,
    `${path}:2: KNOCK_SOURCE: syslog lets any local user forge knocks (logger writes the same lines): use kmsg, journal or pcap, or set KNOCK_SYSLOG_FORGEABLE Y to accept that`,
  );
  // Also when an override file picks syslog, and when the setting says N.
  const over = await conf("KNOCK_SOURCE syslog\n");
  assertThrows(() => loadServerConfig(path, [over]), ConfigError, `${over}:1: KNOCK_SOURCE`);
  const no = await conf("KNOCK_SYSLOG_FORGEABLE N\nKNOCK_SOURCE syslog\n");
  assertThrows(() => loadServerConfig(no), ConfigError, "KNOCK_SYSLOG_FORGEABLE Y");
});

Deno.test("KNOCK_SOURCE: the kernel sources and a consented syslog load; others are refused", async () => {
  for (const src of ["pcap", "kmsg", "journal"]) {
    assertEquals(loadServerConfig(await conf(`KNOCK_SOURCE ${src}\n`)).get("KNOCK_SOURCE"), src);
  }
  const ok = loadServerConfig(await conf("KNOCK_SOURCE syslog\nKNOCK_SYSLOG_FORGEABLE Y\n"));
  assertEquals(ok.bool("KNOCK_SYSLOG_FORGEABLE"), true);
  const bad = await conf("KNOCK_SOURCE /dev/log\n");
  assertThrows(
    () => loadServerConfig(bad),
    ConfigError,
    `${bad}:1: KNOCK_SOURCE: "/dev/log" is not pcap, kmsg, journal, syslog`,
  );
  const dir = loadServerConfig(await conf("KNOCK_SOURCE journal\nKNOCK_JOURNAL_DIR /var/log/x\n"));
  assertEquals(dir.get("KNOCK_JOURNAL_DIR"), "/var/log/x");
});
