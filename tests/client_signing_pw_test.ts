/**
 * An rc stanza whose only secret is GPG_SIGNING_PW: the stock fwknop 2.6.10
 * client keeps it in the same slot as KEY, so without GnuPG it is the
 * Rijndael key (client/config_init.c). Ours does the same; each packet is
 * decoded to show which key it was made with, the stock client's too.
 */
import { assert, assertEquals } from "./assert.ts";
import { runOurs, runStock } from "./client_run.ts";
import { haveCommand } from "./env.ts";
import { parseFieldDump } from "./vectors.ts";
import { decodeSpa } from "../lib/spa/packet.ts";
import { b64EncodePadded } from "../lib/spa/base64.ts";

const enc = new TextEncoder();
const STANZA = "[sp]\nSPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\n";
const ARGS = ["-T", "--no-save-args", "-n", "sp"];

function decodes(out: string, key: Uint8Array): boolean {
  const wire = parseFieldDump(out)["Final SPA Data"];
  return wire !== undefined && decodeSpa(wire, { key }).ok;
}

async function both(rc: string, key: Uint8Array, other: Uint8Array): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "fwknop-ts-signpw-" });
  try {
    await Deno.writeTextFile(`${home}/.fwknoprc`, rc, { mode: 0o600 });
    const ours = await runOurs(ARGS, home);
    assertEquals(ours.code, 0, ours.err);
    assert(decodes(ours.out, key), "our packet is made with the GPG_SIGNING_PW value");
    assert(!decodes(ours.out, other), "and not with another key");
    if (await haveCommand("fwknop", ["-V", "--no-rc-file"])) {
      const stock = await runStock(ARGS, home);
      assertEquals(stock.code, 0, stock.err);
      assert(decodes(stock.out, key), "the stock client's packet uses the same key");
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("client rc: GPG_SIGNING_PW alone is the Rijndael key, as with the stock client", async () => {
  await both(
    `${STANZA}GPG_SIGNING_PW signing-secret\n`,
    enc.encode("signing-secret"),
    enc.encode("x"),
  );
});

Deno.test("client rc: GPG_SIGNING_PW_BASE64 alone is the base64 Rijndael key", async () => {
  const key = enc.encode("b64-signing-secret");
  await both(`${STANZA}GPG_SIGNING_PW_BASE64 ${b64EncodePadded(key)}\n`, key, enc.encode("x"));
});

Deno.test("client rc: KEY and GPG_SIGNING_PW share one slot, the later line wins", async () => {
  await both(
    `${STANZA}KEY first-key\nGPG_SIGNING_PW later-pw\n`,
    enc.encode("later-pw"),
    enc.encode("first-key"),
  );
  await both(
    `${STANZA}GPG_SIGNING_PW first-pw\nKEY later-key\n`,
    enc.encode("later-key"),
    enc.encode("first-pw"),
  );
});
