import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConfigError, lexConf } from "./lexer.ts";

Deno.test("lexConf reads NAME value lines the way fwknopd does", () => {
  const text = [
    "# comment",
    ";also a comment",
    "",
    "SOURCE: ANY;",
    "KEY    my secret key   ",
    "OPEN_PORTS tcp/22, udp/53 ; trailing",
    "  PCAP_FILTER udp port 62201;",
    "%include other.conf",
  ].join("\n");
  assertEquals(lexConf(text, "a.conf").map((l) => [l.line, l.name, l.value]), [
    [4, "SOURCE", "ANY"],
    [5, "KEY", "my secret key"],
    [6, "OPEN_PORTS", "tcp/22, udp/53"],
    [7, "PCAP_FILTER", "udp port 62201"],
    [8, "%include", "other.conf"],
  ]);
});

Deno.test("lexConf refuses a name without a value, naming file and line", () => {
  assertThrows(
    () => lexConf("SOURCE ANY\nKEY\n", "/etc/fwknop/access.conf"),
    ConfigError,
    "/etc/fwknop/access.conf:2: KEY: has no value",
  );
});

Deno.test("readConf keeps the bytes of a line that is not UTF-8; other lines stay text", async () => {
  const { readConf, valueBytes } = await import("./lexer.ts");
  const f = await Deno.makeTempFile();
  await Deno.writeFile(
    f,
    new Uint8Array([...new TextEncoder().encode("# café\nKEY "), 0xff, 0xfe, 0x61, 0x0a]),
  );
  const lines = lexConf(readConf(f), f);
  assertEquals(lines.length, 1);
  assertEquals([lines[0]!.name, lines[0]!.bytes], ["KEY", true]);
  assertEquals([...valueBytes(lines[0]!)], [0xff, 0xfe, 0x61]);
  assertEquals(readConf(f).includes("café"), true);
  await Deno.remove(f);
});
