/**
 * The QR codes the programs print are read back the way a phone would:
 * the terminal text is turned into an image and decoded by zbarimg
 * (Debian zbar-tools), which must give the exact Fwknop2 key text.
 */
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { zbar } from "../../tests/qr_decode.ts";
import { main as clientMain } from "../../client.ts";
import { main as serverMain } from "../../server.ts";
import { keysQrText, terminalQr } from "./keys_qr.ts";

const enc = new TextEncoder();

Deno.test("keys QR: the Fwknop2 text", () => {
  assertEquals(
    keysQrText(enc.encode("abc"), enc.encode("hmac")),
    "KEY_BASE64:YWJj HMAC_KEY_BASE64:aG1hYw==",
  );
  assertEquals(keysQrText(enc.encode("abc")), "KEY_BASE64:YWJj");
});

Deno.test("keys QR: fwknop-ts --key-gen --qr and fwknopd-ts --qr N decode with zbarimg", async () => {
  if (!(await haveCommand("zbarimg", ["--version"]))) {
    return skip("zbarimg is not installed (Debian zbar-tools)");
  }
  const direct = "KEY_BASE64:YWJj HMAC_KEY_BASE64:aG1hYw==";
  assertEquals(await zbar(terminalQr(direct)), direct);
  let out = "";
  await clientMain(["--key-gen", "--qr"], { out: (t) => out += t, err: () => {} });
  const key = /^KEY_BASE64: (\S+)$/m.exec(out)![1]!;
  const hmac = /^HMAC_KEY_BASE64: (\S+)$/m.exec(out)![1]!;
  assertEquals(await zbar(out), `KEY_BASE64:${key} HMAC_KEY_BASE64:${hmac}`);
  // The daemon shows an access.conf stanza's keys.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n`);
    await Deno.writeTextFile(
      `${dir}/access.conf`,
      `SOURCE ANY\nKEY_BASE64 ${key}\nHMAC_KEY_BASE64 ${hmac}\n\nSOURCE ANY\nKEY second\n`,
    );
    let srv = "";
    const code = await serverMain(
      ["--qr", "1", "-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`],
      { out: (t) => srv += t, err: () => {} },
    );
    assertEquals(code, 0);
    assertMatch(srv, /Keys of access stanza 1 \(.*access\.conf:1\), for Fwknop2/);
    assertEquals(await zbar(srv), `KEY_BASE64:${key} HMAC_KEY_BASE64:${hmac}`);
    let err = "";
    const bad = await serverMain(
      ["--qr", "3", "-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`],
      { out: () => {}, err: (t) => err += t },
    );
    assertEquals(bad === 0, false);
    assertMatch(err, /no access stanza 3 \(stanzas 1 to 2\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys QR: fwknop-ts --key-gen --qr ends with a newline, so the prompt starts on its own line", async () => {
  assertMatch(terminalQr("KEY_BASE64:YWJj"), /[\u2580\u2584\u2588 ]\n$/);
  let out = "";
  const code = await clientMain(["--key-gen", "--qr"], { out: (t) => out += t, err: () => {} });
  assertEquals(code, 0);
  assertEquals(out.endsWith("\n") && !out.endsWith("\n\n"), true, JSON.stringify(out.slice(-8)));
});
