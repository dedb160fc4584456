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
