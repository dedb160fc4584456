import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { loadAccess } from "./access_conf.ts";
import { ConfigError } from "./lexer.ts";

const dir = await Deno.makeTempDir({ prefix: "fwknop-grant-prefix-" });
const K = "SOURCE ANY\nKEY abcdefgh\n";

function load(text: string) {
  Deno.writeTextFileSync(`${dir}/access.conf`, text);
  return loadAccess([`${dir}/access.conf`]).stanzas;
}

Deno.test("GRANT_SOURCE_PREFIX_V4/_V6: off by default, read per stanza", () => {
  const [a, b] = load(
    `${K}GRANT_SOURCE_PREFIX_V4 24\nGRANT_SOURCE_PREFIX_V6 /64\n\n${K}`,
  );
  assertEquals([a!.grantPrefixV4, a!.grantPrefixV6], [24, 64]);
  assertEquals([b!.grantPrefixV4, b!.grantPrefixV6], [undefined, undefined]);
  // The full length is the address alone: the same as not setting it.
  const [c] = load(`${K}GRANT_SOURCE_PREFIX_V4 32\nGRANT_SOURCE_PREFIX_V6 128\n`);
  assertEquals([c!.grantPrefixV4, c!.grantPrefixV6], [undefined, undefined]);
  const [d] = load(`${K}GRANT_SOURCE_PREFIX_V4 16\nGRANT_SOURCE_PREFIX_V6 48\n`);
  assertEquals([d!.grantPrefixV4, d!.grantPrefixV6], [16, 48]);
});

Deno.test("GRANT_SOURCE_PREFIX: a slip that would open the Internet is refused with file, line and variable", () => {
  const cases: [string, string][] = [
    ["GRANT_SOURCE_PREFIX_V4 0", `:3: GRANT_SOURCE_PREFIX_V4: "0" is shorter than /16`],
    ["GRANT_SOURCE_PREFIX_V4 8", "it would open 16777216 addresses"],
    ["GRANT_SOURCE_PREFIX_V4 15", `:3: GRANT_SOURCE_PREFIX_V4: "15" is shorter than /16`],
    ["GRANT_SOURCE_PREFIX_V6 0", `:3: GRANT_SOURCE_PREFIX_V6: "0" is shorter than /48`],
    ["GRANT_SOURCE_PREFIX_V6 32", "it would open 2^96 addresses"],
    ["GRANT_SOURCE_PREFIX_V4 33", `"33" is not a prefix length from 16 to 32`],
    ["GRANT_SOURCE_PREFIX_V6 129", `"129" is not a prefix length from 48 to 128`],
    ["GRANT_SOURCE_PREFIX_V4 -24", `"-24" is not a prefix length from 16 to 32`],
    ["GRANT_SOURCE_PREFIX_V4 24 junk", `"24 junk" is not a prefix length`],
    ["GRANT_SOURCE_PREFIX_V4 255.255.255.0", `is not a prefix length`],
    ["GRANT_SOURCE_PREFIX_V4 1e1", `"1e1" is not a prefix length`],
    ["GRANT_SOURCE_PREFIX_V4 0x18", `"0x18" is not a prefix length`],
    ["GRANT_SOURCE_PREFIX_V6 99999999", `is not a prefix length from 48 to 128`],
  ];
  for (const [line, want] of cases) {
    Deno.writeTextFileSync(`${dir}/bad.conf`, `${K}${line}\n`);
    assertThrows(() => loadAccess([`${dir}/bad.conf`]), ConfigError, want);
  }
});
