import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { haveCommand, isRoot, report, skip } from "../tests/env.ts";
import { Background } from "../tests/netns.ts";
import { burn, firstUnused, markUsed, readOneTime } from "./one_time.ts";
import { parseKnockdConf } from "./knockd_conf.ts";

Deno.test("one-time sequences: the first unused line, every unused one", () => {
  const text = "# used before\n\n #x\n 7601,7602:udp\nnoté,1\n 7611,7612\n";
  const s = firstUnused("f", text)!;
  assertEquals([s.line, s.text], [4, "7601,7602:udp"]);
  assertEquals(s.unused.map((u) => [u.text, u.line]), [["7601,7602:udp", 4], ["noté,1", 5], [
    "7611,7612",
    6,
  ]]);
  assertEquals(firstUnused("f", "#a\n\n   \n#b"), undefined);
});

Deno.test("one-time sequences: the mark goes on the used line, found by its knocks", () => {
  // knockd's own mark when the line starts with a space; before the line otherwise.
  assertEquals(markUsed(" 1,2\n 3,4\n", "1,2"), { text: "#1,2\n 3,4\n", line: 1 });
  assertEquals(markUsed("1,2\n", "1,2"), { text: "#1,2\n", line: 1 });
  assertEquals(markUsed("#1,2\n\t1:tcp, 2\n", "1,2"), { text: "#1,2\n#1:tcp, 2\n", line: 2 });
  assertEquals(markUsed(" 1,2:udp\n 1,2\n", "1,2")?.line, 2); // another protocol is another sequence
  assertEquals(markUsed(" 1,2\n 1,2\n", "1, 2")?.line, 1); // the first unused one of a repeat
  assertEquals(markUsed("#1,2\n 3,4\n", "1,2"), undefined);
});

Deno.test("one-time sequences (attack): an edit after the read cannot move the mark", () => {
  // Finding 5: the mark used to go to the byte offset of the first read.
  const f = Deno.makeTempFileSync();
  Deno.writeTextFileSync(f, " 7000,8000,9000\n 7100,8100,9100\n");
  const used = readOneTime(f)!;
  assertEquals(used.text, "7000,8000,9000");
  // The administrator adds a line above and shortens the used one's spacing.
  Deno.writeTextFileSync(f, " 60001,60002\n 7000,8000,900\n 7000,8000,9000\n 7100,8100,9100\n");
  assertEquals(burn(used), { burned: "line", line: 3 });
  assertEquals(
    Deno.readTextFileSync(f),
    " 60001,60002\n 7000,8000,900\n#7000,8000,9000\n 7100,8100,9100\n",
  );
  assertEquals(readOneTime(f)?.text, "60001,60002");
  // Removed by the administrator meanwhile: nothing to mark, nothing written.
  Deno.writeTextFileSync(f, " 7100,8100,9100\n");
  const mtime = Deno.statSync(f).mtime;
  assertEquals(burn(used), { burned: "gone" });
  assertEquals(Deno.readTextFileSync(f), " 7100,8100,9100\n");
  assertEquals(Deno.statSync(f).mtime, mtime);
  Deno.removeSync(f);
});

Deno.test("one-time sequences: burn replaces the file whole, keeping bytes and mode", () => {
  const dir = Deno.makeTempDirSync();
  const f = `${dir}/otp`;
  Deno.writeFileSync(f, new Uint8Array([0x20, 0x31, 0x2c, 0x32, 0x0a, 0xff, 0xfe, 0x0a]));
  Deno.chmodSync(f, 0o640);
  const before = Deno.openSync(f); // the old file stays as it was: no byte written in place
  const seq = readOneTime(f)!;
  burn(seq);
  assertEquals(
    Deno.readFileSync(f),
    new Uint8Array([0x23, 0x31, 0x2c, 0x32, 0x0a, 0xff, 0xfe, 0x0a]),
  );
  const old = new Uint8Array(8);
  before.readSync(old);
  before.close();
  assertEquals(old[0], 0x20);
  assertEquals(Deno.statSync(f).mode! & 0o7777, 0o640);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["otp"]);
  Deno.removeSync(f);
  assertThrows(() => burn(seq), Error, `Cannot mark the used sequence in ${f}`);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name: "one-time sequences (interop): knockd reads a file we burned and takes the next line",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!isRoot()) return skip("knockd needs root to listen on lo");
    if (!(await haveCommand("knockd", ["-V"]))) return skip("knockd is not installed");
    const dir = await Deno.makeTempDir({ prefix: "knockd-otp-" });
    const otp = `${dir}/otp`;
    await Deno.writeTextFile(otp, "1111,2222\n 3333,4444:udp\n 5555,6666\n");
    burn(readOneTime(otp)!); // no space first: "#1111,2222"
    burn(readOneTime(otp)!); // knockd's own mark: "#3333,4444:udp"
    await Deno.writeTextFile(
      `${dir}/knockd.conf`,
      `[options]\n  LogFile = ${dir}/log\n[otp]\n  one_time_sequences = ${otp}\n  command = /bin/true %IP%\n`,
    );
    const kd = new Background(["knockd", "-i", "lo", "-c", `${dir}/knockd.conf`, "-D"]);
    try {
      await kd.waitFor(/config: otp: sequence: /, 10_000);
      assert(/config: otp: sequence: 5555:tcp,6666:tcp/.test(kd.output), kd.output);
      report("one-time interop: knockd skipped both lines fwknop-ts burned");
    } finally {
      await kd.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("knockd.conf: one_time_sequences takes the file's current sequence; none left is skipped", () => {
  const f = Deno.makeTempFileSync();
  Deno.writeTextFileSync(f, "#7001,7002\n 7101,7102:udp\n 7201,7202\n");
  const conf = (file: string) =>
    `[otp]\n  one_time_sequences = ${file}\n  command = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT\n`;
  const r = parseKnockdConf(conf(f), "/etc/knockd.conf", 1);
  const st = r.sections[0]!.stanza;
  assertEquals(st.sequence, [{ proto: "tcp", port: 7101 }, { proto: "udp", port: 7102 }]);
  assertEquals(st.oneTime?.line, 2);
  assertEquals(st.filterSteps?.map((x) => `${x.proto}/${x.port}`), [
    "tcp/7101",
    "udp/7102",
    "tcp/7201",
    "tcp/7202",
  ]);
  Deno.writeTextFileSync(f, "#7001\n");
  const none = parseKnockdConf(conf(f), "/etc/knockd.conf", 1);
  assertEquals(none.sections.length, 0);
  assertEquals(none.warnings.length, 1);
  assertEquals(
    /no more sequences left in the one time sequences file/.test(none.warnings[0]!),
    true,
  );
  Deno.removeSync(f);
  assertThrows(
    () => parseKnockdConf(conf(f), "/etc/knockd.conf", 1),
    Error,
    "knockd.conf:2: one_time_sequences",
  );
});
