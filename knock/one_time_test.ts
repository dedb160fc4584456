import { assertEquals, assertThrows } from "../tests/assert.ts";
import { burn, firstUnused, readOneTime } from "./one_time.ts";
import { parseKnockdConf } from "./knockd_conf.ts";

Deno.test("one-time sequences: the first unused line, byte offsets, every unused one", () => {
  const text = "# used before\n\n #x\n 7601,7602:udp\nnoté,1\n 7611,7612\n";
  const s = firstUnused("f", text)!;
  assertEquals([s.line, s.offset, s.text], [4, 19, "7601,7602:udp"]);
  assertEquals(s.unused.map((u) => [u.text, u.line]), [["7601,7602:udp", 4], ["noté,1", 5], [
    "7611,7612",
    6,
  ]]);
  assertEquals(firstUnused("f", "#a\n\n   \n#b"), undefined);
});

Deno.test("one-time sequences: burn writes '#' over the line's first byte, durably", () => {
  const f = Deno.makeTempFileSync();
  Deno.writeTextFileSync(f, " 1,2\n é3,4\n 5,6\n");
  burn(readOneTime(f)!);
  burn(readOneTime(f)!); // after a multi-byte character: offsets are bytes
  assertEquals(Deno.readTextFileSync(f), "#1,2\n#é3,4\n 5,6\n");
  assertEquals(readOneTime(f)?.text, "5,6");
  Deno.chmodSync(f, 0o400);
  if (Deno.uid?.() !== 0) {
    assertThrows(() => burn(readOneTime(f)!), Error, `Cannot mark the used sequence in ${f}`);
  }
  Deno.removeSync(f);
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
