/**
 * The daemon under systemd: with JOURNAL_STREAM naming its stderr, every log
 * line starts with its syslog priority; with any other value, none does.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import { assert, assertEquals } from "./assert.ts";
import { fileArgs } from "./fwknopd.ts";
import { pcapFile } from "./pcap.ts";
import { matchesJournalStream } from "../lib/server/journal.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

Deno.test("JOURNAL_STREAM counts only when it names stderr's own device and inode", () => {
  const stat = { dev: 25, ino: 3141 };
  assertEquals(matchesJournalStream("25:3141", stat), true);
  for (const v of ["25:3142", "26:3141", undefined, "", "25:3141:x"]) {
    assertEquals(matchesJournalStream(v, stat), false, String(v));
  }
});

Deno.test("daemon: log lines carry syslog priorities only when stderr is the journal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-journal-" });
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n`, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY k\n", { mode: 0o600 });
  await Deno.writeFile(`${dir}/one.pcap`, pcapFile([{ payload: "x".repeat(200) }]));
  const run = (journal: (s: { dev: number; ino: number }) => string) => {
    const log = `${dir}/stderr.txt`;
    const fd = openSync(log, "w");
    const r = spawnSync("deno", [
      "run",
      "-A",
      SERVER,
      "-f",
      "-t",
      ...fileArgs(dir),
      "--pcap-file",
      `${dir}/one.pcap`,
    ], {
      // stderr is a file here, so its device and inode are known beforehand.
      stdio: ["ignore", "ignore", fd],
      env: { ...Deno.env.toObject(), JOURNAL_STREAM: journal(statSync(log)) },
    });
    closeSync(fd);
    assertEquals(r.status, 0);
    return Deno.readTextFileSync(log).trim().split("\n");
  };
  const journal = run((s) => `${s.dev}:${s.ino}`);
  assert(journal.length >= 3, journal.join("\n"));
  for (const l of journal) assert(/^<[3467]>\S/.test(l), `no priority: ${l}`);
  assert(journal.some((l) => l.startsWith("<6>Starting fwknopd")));
  const plain = run((s) => `${s.dev}:${s.ino + 1}`);
  assert(plain.some((l) => l.startsWith("Starting fwknopd")), plain.join("\n"));
  for (const l of plain) assert(!/^<\d>/.test(l), `unexpected priority: ${l}`);
  await Deno.remove(dir, { recursive: true });
});
