import { assertEquals } from "../tests/assert.ts";
import { fileSource } from "./log_source.ts";

const SYSLOG =
  "Jun 20 11:24:56 host kernel: [ 7356.47] IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=60 TOS=0x10 PREC=0x00 TTL=64 ID=34848 DF PROTO=TCP SPT=12345 DPT=61083 WINDOW=32792 RES=0x00 SYN URGP=0";

Deno.test("syslog file source: follows appends, rotation and truncation", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/messages`;
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "1")}\n`); // before start: skipped
  const src = fileSource(path, 20);
  const got: number[] = [];
  const reader = (async () => {
    for await (const p of src.packets()) {
      got.push(p.dport);
      if (got.length === 3) break;
    }
  })();
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "2")}\n`, { append: true });
  await new Promise((r) => setTimeout(r, 60));
  await Deno.rename(path, `${path}.1`); // rotated: a new file
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "3")}\n`);
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, ""); // truncated (copytruncate rotation)
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "4")}\n`, { append: true });
  await Promise.race([reader, new Promise((r) => setTimeout(r, 2000))]);
  src.close();
  assertEquals(got, [2, 3, 4]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("syslog file source: an overlong line is dropped whole, the next one is read", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/messages`;
  await Deno.writeTextFile(path, "");
  const src = fileSource(path, 10);
  const got: number[] = [];
  const reader = (async () => {
    for await (const p of src.packets()) {
      got.push(p.dport);
      if (got.length === 1) break;
    }
  })();
  await new Promise((r) => setTimeout(r, 40));
  // 5000 bytes without a newline (read in one step past the limit), then its knock-like end.
  await Deno.writeTextFile(path, "x".repeat(5000), { append: true });
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, ` ${SYSLOG.replace("61083", "5")}\n`, { append: true });
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "6")}\n`, { append: true });
  await Promise.race([reader, new Promise((r) => setTimeout(r, 2000))]);
  src.close();
  assertEquals(got, [6]);
  assertEquals(src.refused, 1);
  await Deno.remove(dir, { recursive: true });
});
