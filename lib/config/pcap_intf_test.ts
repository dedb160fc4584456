import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConfigError } from "./lexer.ts";
import { loadServerConfig } from "./server_conf.ts";

async function conf(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-pcap-intf-" });
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, text);
  return `${dir}/fwknopd.conf`;
}

Deno.test("PCAP_INTF: a name, a list (spaces after commas too) and auto load", async () => {
  for (const v of ["eth0", "eth0,wg0", "eth0, wg0", "auto", "any"]) {
    const c = loadServerConfig(await conf(`FWKNOP_RUN_DIR /run/x\nPCAP_INTF ${v};\n`));
    assertEquals(c.get("PCAP_INTF"), v);
  }
});

Deno.test("PCAP_INTF: a bad list is refused naming file, line and variable", async () => {
  const cases: [string, string][] = [
    ["eth0,,wg0", "an interface name is empty in the list"],
    ["eth0,eth0", `"eth0" is listed twice`],
    ["eth0,auto", `"auto" stands alone, not in a list`],
    ["eth0/../x", `"eth0/../x" contains "/"`],
    ["averyveryverylongname", `"averyveryverylongname" is longer than 15 bytes`],
  ];
  for (const [v, why] of cases) {
    const path = await conf(`# capture\nPCAP_INTF ${v};\n`);
    assertThrows(() => loadServerConfig(path), ConfigError, `${path}:2: PCAP_INTF: ${why}`);
  }
  // In an override file too (-O), at its own line.
  const main = await conf("PCAP_INTF eth0;\n");
  const over = await conf("PCAP_INTF wg0,wg0;\n");
  assertThrows(() => loadServerConfig(main, [over]), ConfigError, `${over}:1: PCAP_INTF:`);
});
