/**
 * GnuPG mode: the SPEC §13.10 vector made by the real client decodes; RSA
 * keys made by the real gpg round-trip; the stock client's GPG packets decode
 * with ours and ours are accepted by the stock fwknopd; hostile GPG-length
 * input never throws and never decodes.
 */
import fc from "npm:fast-check@3.23.2";
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { runFwknopdTest } from "./fwknopd.ts";
import { fwknopTestHomes, importPublic, rsaHome } from "./gpg_env.ts";
import { runStock } from "./client_run.ts";
import { parseFieldDump } from "./vectors.ts";
import { privateKeys, publicKeys } from "../lib/gpg_keys.ts";
import { decodeGpgSpa, encodeGpgSpa, oldFormatFirstPacket } from "../lib/spa/gpg.ts";
import { MessageType } from "../lib/spa/message.ts";
import { SpaKeyError } from "../lib/spa/packet.ts";

const enc = new TextEncoder();
const PH = enc.encode("fwknophmactest");
const ready = (await haveCommand("gpg", ["--version"]))
  ? undefined
  : "gpg is not installed (Debian package gnupg)";

const SPEC_WIRE = await (async () => {
  const spec = JSON.parse(
    await Deno.readTextFile(new URL("./testdata/gpg_vector.json", import.meta.url)),
  );
  return spec as {
    wire: string;
    encoded: string;
    digest: string;
    hmac: string;
    signer: string;
    fingerprint: string;
  };
})();

Deno.test("gpg: oldFormatFirstPacket re-frames a new-format PKESK header to 0x85", () => {
  const msg = Uint8Array.from([0xc1, 0xc1, 0x4e, 0x03, 0x7c]);
  assertEquals([...oldFormatFirstPacket(msg).subarray(0, 4)], [0x85, 0x02, 0x0e, 0x03]);
  assertEquals([...oldFormatFirstPacket(Uint8Array.from([0x85, 0x01, 0x0c, 0x03]))], [
    0x85,
    0x01,
    0x0c,
    0x03,
  ]);
  assertThrows(() => oldFormatFirstPacket(Uint8Array.from([0xd2, 0x05, 1])), SpaKeyError, "tag 18");
});

Deno.test("gpg: the SPEC §13.10 vector from the real client decodes, with its signer", async () => {
  if (ready) return skip(ready);
  const dir = await fwknopTestHomes();
  try {
    const verificationKeys = await publicKeys({ home: `${dir}/client-gpg-no-pw`, exe: "gpg" });
    const decryptionKeys = await privateKeys(
      { home: `${dir}/server-gpg-no-pw`, exe: "gpg" },
      "361BBAD4",
      "",
    );
    const r = await decodeGpgSpa(SPEC_WIRE.wire, { decryptionKeys, verificationKeys, hmacKey: PH });
    assert(r.ok, JSON.stringify(r));
    assertEquals(r.encoded, SPEC_WIRE.encoded);
    assertEquals(r.digest, SPEC_WIRE.digest);
    assertEquals(r.hmac, SPEC_WIRE.hmac);
    assertEquals(r.fields.message, "1.2.3.4,tcp/22");
    assertEquals(r.signatures, [{
      id: "6A3FAD56",
      fingerprint: SPEC_WIRE.fingerprint,
      valid: true,
    }]);
    const bad = await decodeGpgSpa(SPEC_WIRE.wire, {
      decryptionKeys,
      verificationKeys,
      hmacKey: enc.encode("other"),
    });
    assertEquals(bad.ok ? "ok" : bad.reason, "hmac-mismatch");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gpg: RSA keys made by gpg round-trip, signed, with and without passphrase", async () => {
  if (ready) return skip(ready);
  const server = await rsaHome("server", "server pass");
  const client = await rsaHome("client", "");
  try {
    await importPublic(server.home, client.home);
    await importPublic(client.home, server.home);
    const recipientKey = (await publicKeys({ home: client.home, exe: "gpg" }, server.fpr))[0];
    const signingKey = (await privateKeys({ home: client.home, exe: "gpg" }, client.fpr, ""))[0];
    const spa = await encodeGpgSpa({
      message: "1.2.3.4,tcp/22",
      messageType: MessageType.ACCESS,
      username: "alice",
      recipientKey,
      signingKey,
      hmacKey: PH,
    });
    assert(spa.wire.length >= 400);
    const decryptionKeys = await privateKeys(
      { home: server.home, exe: "gpg" },
      server.fpr,
      "server pass",
    );
    const verificationKeys = await publicKeys({ home: server.home, exe: "gpg" });
    const r = await decodeGpgSpa(spa.wire, { decryptionKeys, verificationKeys, hmacKey: PH });
    assert(r.ok, JSON.stringify(r));
    assertEquals(r.signatures, [{
      id: client.fpr.slice(-8),
      fingerprint: client.fpr,
      valid: true,
    }]);
    // Armored key files work without a GnuPG home.
    const pubFile = `${client.home}/server.asc`;
    await Deno.writeTextFile(
      pubFile,
      await (await import("./netns.ts")).must([
        "gpg",
        "--homedir",
        server.home,
        "--batch",
        "--armor",
        "--export",
        server.fpr,
      ]),
    );
    const fromFile = (await publicKeys({ home: "/nonexistent", exe: "gpg" }, pubFile))[0];
    const viaFile = await encodeGpgSpa({
      message: "1.2.3.4,tcp/22",
      messageType: MessageType.ACCESS,
      username: "alice",
      recipientKey: fromFile,
      hmacKey: PH,
    });
    assert(
      (await decodeGpgSpa(viaFile.wire, { decryptionKeys, verificationKeys, hmacKey: PH })).ok,
      "armored-file recipient",
    );
    let wrongPw = "";
    await privateKeys({ home: server.home, exe: "gpg" }, server.fpr, "wrong").catch((e) =>
      wrongPw = (e as Error).message
    );
    assertMatch(wrongPw, /Cannot (export|unlock)/);
  } finally {
    await Deno.remove(server.home, { recursive: true });
    await Deno.remove(client.home, { recursive: true });
  }
});

Deno.test("gpg: the stock client's GPG packets decode with ours, and the stock fwknopd accepts ours", async () => {
  if (ready) return skip(ready);
  if (!(await haveCommand("fwknopd", ["-V"]))) return skip("fwknopd is not installed");
  const dir = await fwknopTestHomes();
  const home = await Deno.makeTempDir();
  try {
    const cHome = `${dir}/client-gpg-no-pw`;
    const sHome = `${dir}/server-gpg-no-pw`;
    const stock = await runStock([
      "--gpg-recipient-key",
      "361BBAD4",
      "--gpg-signer-key",
      "6A3FAD56",
      "--gpg-home-dir",
      cHome,
      "--gpg-no-signing-pw",
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "-D",
      "127.0.0.1",
      "--key-hmac",
      "fwknophmactest",
      "-T",
      "--no-save-args",
      "--no-rc-file",
    ], home);
    // In -T mode the stock client also tries to decrypt its own packet, which needs the
    // server's secret key, so it exits 1 after printing the packet.
    const wire = parseFieldDump(stock.out)["Final SPA Data"]!;
    const decryptionKeys = await privateKeys({ home: sHome, exe: "gpg" }, "361BBAD4", "");
    const verificationKeys = await publicKeys({ home: cHome, exe: "gpg" });
    const r = await decodeGpgSpa(wire, { decryptionKeys, verificationKeys, hmacKey: PH });
    assert(r.ok, JSON.stringify(r));
    assertEquals(r.signatures?.[0]?.id, "6A3FAD56");

    const recipientKey = (await publicKeys({ home: cHome, exe: "gpg" }, "361BBAD4"))[0];
    const signingKey = (await privateKeys({ home: cHome, exe: "gpg" }, "6A3FAD56", ""))[0];
    const good = await encodeGpgSpa({
      message: "1.2.3.4,tcp/22",
      messageType: MessageType.ACCESS,
      username: "root",
      recipientKey,
      signingKey,
      hmacKey: PH,
    });
    const unsigned = await encodeGpgSpa({
      message: "1.2.3.4,tcp/22",
      messageType: MessageType.ACCESS,
      username: "root",
      recipientKey,
      hmacKey: PH,
    });
    const access =
      `SOURCE ANY\nGPG_HOME_DIR ${sHome}\nGPG_DECRYPT_ID 361BBAD4\nGPG_ALLOW_NO_PW Y\nGPG_REMOTE_ID 6A3FAD56\nHMAC_KEY fwknophmactest\n`;
    const run = await runFwknopdTest("", access, [{ payload: good.wire, src: "10.0.0.1" }, {
      payload: unsigned.wire,
      src: "10.0.0.2",
    }]);
    assertEquals(run.accepted.get("10.0.0.1"), [1], run.output.slice(-1500));
    assertEquals(
      run.accepted.get("10.0.0.2"),
      undefined,
      "unsigned packet accepted although a signature is required",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gpg: hostile GPG-length input never throws and never decodes", async () => {
  if (ready) return skip(ready);
  const dir = await fwknopTestHomes();
  try {
    const decryptionKeys = await privateKeys(
      { home: `${dir}/server-gpg-no-pw`, exe: "gpg" },
      "361BBAD4",
      "",
    );
    const verificationKeys = await publicKeys({ home: `${dir}/client-gpg-no-pw`, exe: "gpg" });
    let n = 0;
    const refuse = async (w: string, hmac: boolean) => {
      n++;
      const r = await decodeGpgSpa(w, {
        decryptionKeys,
        verificationKeys,
        ...(hmac ? { hmacKey: PH } : {}),
      });
      assert(!r.ok, `accepted: ${w}`);
    };
    await fc.assert(
      fc.asyncProperty(
        fc.base64String({ minLength: 400, maxLength: 1500 }),
        async (s) => await refuse(s.replace(/=+$/, ""), false),
      ),
      { numRuns: 300 },
    );
    const wire = SPEC_WIRE.wire;
    const body = wire.slice(0, -43);
    for (let k = 400; k < body.length; k += 7) await refuse(body.slice(0, k), false);
    for (let i = 0; i < body.length; i += 5) {
      const flipped = body.slice(0, i) + (body[i] === "A" ? "B" : "A") + body.slice(i + 1);
      await refuse(flipped, false);
      await refuse(flipped + wire.slice(-43), true);
    }
    report(`gpg hostile input: ${n} cases, none threw, none decoded`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
