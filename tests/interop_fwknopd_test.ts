/**
 * The stock fwknopd 2.6 accepts what our encoder builds: one stanza per case
 * of the digest x HMAC type x encryption mode x message type matrix, each
 * with its own keys and source network. Every good packet must be accepted by
 * exactly its stanza; the same request under a wrong encryption key or a
 * wrong HMAC key must be accepted by none.
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { runFwknopdTest } from "./fwknopd.ts";
import type { UdpRecord } from "./pcap.ts";
import { b64EncodePadded } from "../lib/spa/base64.ts";
import { DIGESTS, type DigestType } from "../lib/spa/digest.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa, type SpaRequest } from "../lib/spa/packet.ts";
import { EncryptionMode, MODE_LABELS } from "../lib/spa/rijndael.ts";

const enc = new TextEncoder();
const MODES = [
  EncryptionMode.CBC,
  EncryptionMode.CTR,
  EncryptionMode.CFB,
  EncryptionMode.OFB,
  EncryptionMode.ECB,
  EncryptionMode.LEGACY,
];
const DIGEST_CODES = [...DIGESTS.keys()];
const TYPES = [0, 1, 2, 3, 4, 5, 6] as const;

interface Case {
  req: SpaRequest;
  stanza: string;
}

function messageFor(
  type: number,
  i: number,
): Pick<SpaRequest, "message" | "messageType" | "natAccess" | "clientTimeout"> {
  const ip = `10.9.${i % 250}.${(i * 3) % 250 + 1}`;
  const timeout = 20 + i;
  switch (type) {
    case 0:
      return { message: `${ip},touch /tmp/fwknop-ts-${i}`, messageType: MessageType.COMMAND };
    case 1:
      return { message: `${ip},tcp/22,udp/${1000 + i}`, messageType: MessageType.ACCESS };
    case 2:
      return {
        message: `${ip},tcp/2222`,
        messageType: MessageType.NAT_ACCESS,
        natAccess: `192.168.7.${i % 250 + 1},22`,
      };
    case 3:
      return { message: `${ip},tcp/22`, messageType: MessageType.ACCESS, clientTimeout: timeout };
    case 4:
      return {
        message: `${ip},udp/53`,
        messageType: MessageType.NAT_ACCESS,
        natAccess: `192.168.7.9,5353`,
        clientTimeout: timeout,
      };
    case 5:
      return {
        message: `${ip},tcp/55000`,
        messageType: MessageType.LOCAL_NAT_ACCESS,
        natAccess: `127.0.0.1,22`,
      };
    default:
      return {
        message: `${ip},tcp/55001`,
        messageType: MessageType.LOCAL_NAT_ACCESS,
        natAccess: `127.0.0.1,22`,
        clientTimeout: timeout,
      };
  }
}

function buildCase(
  i: number,
  digest: DigestType,
  hmac: DigestType | undefined,
  mode: EncryptionMode,
  type: number,
): Case {
  const b64 = i % 2 === 1 && mode !== EncryptionMode.LEGACY;
  const key = b64 ? crypto.getRandomValues(new Uint8Array(32)) : enc.encode(`passphrase-${i}`);
  const useHmac = hmac !== undefined && mode !== EncryptionMode.LEGACY;
  const hmacKey = b64
    ? crypto.getRandomValues(new Uint8Array(64))
    : enc.encode(`hmac-passphrase-${i}`);
  const req: SpaRequest = {
    ...messageFor(type, i),
    username: `user${i}`,
    digestType: digest,
    key,
    mode,
  };
  const lines = [`SOURCE 10.${100 + Math.floor(i / 250)}.${i % 250}.0/24`];
  lines.push(b64 ? `KEY_BASE64 ${b64EncodePadded(key)}` : `KEY passphrase-${i}`);
  lines.push(`ENCRYPTION_MODE ${MODE_LABELS.get(mode)}`);
  if (useHmac) {
    req.hmacKey = hmacKey;
    req.hmacType = hmac;
    lines.push(
      b64 ? `HMAC_KEY_BASE64 ${b64EncodePadded(hmacKey)}` : `HMAC_KEY hmac-passphrase-${i}`,
    );
    lines.push(`HMAC_DIGEST_TYPE ${DIGESTS.get(hmac)!.name}`);
  }
  if (type === 0) lines.push("ENABLE_CMD_EXEC Y");
  return { req, stanza: lines.join("\n") };
}

function plan(): Case[] {
  const cases: Case[] = [];
  let n = 0;
  for (const d of DIGEST_CODES) {
    for (const h of [...DIGEST_CODES, undefined]) {
      cases.push(buildCase(n, d, h, MODES[n % 5]!, TYPES[n % 7]!));
      n++;
    }
  }
  for (const m of MODES) {
    for (const t of TYPES) {
      cases.push(buildCase(n, DIGEST_CODES[n % 7]!, [...DIGEST_CODES, undefined][n % 8], m, t));
      n++;
    }
  }
  return cases;
}

const srcOf = (i: number, host: number) => `10.${100 + Math.floor(i / 250)}.${i % 250}.${host}`;

Deno.test("interop: the stock fwknopd accepts our packets across the matrix and refuses wrong keys", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    skip("fwknopd is not installed (Debian package fwknop-server)");
    return;
  }
  const cases = plan();
  const records: UdpRecord[] = [];
  for (const [i, c] of cases.entries()) {
    records.push({ payload: encodeSpa(c.req).wire, src: srcOf(i, 1) });
    const wrongKey = enc.encode(`wrong-${i}`);
    records.push({ payload: encodeSpa({ ...c.req, key: wrongKey }).wire, src: srcOf(i, 2) });
    if (c.req.hmacKey !== undefined) {
      const wrongHmac = enc.encode(`wrong-hmac-${i}`);
      records.push({ payload: encodeSpa({ ...c.req, hmacKey: wrongHmac }).wire, src: srcOf(i, 3) });
    }
  }
  const conf = "ENABLE_IPT_FORWARDING Y;\nENABLE_IPT_LOCAL_NAT Y;\n";
  const access = cases.map((c) => c.stanza).join("\n\n") + "\n";
  const run = await runFwknopdTest(conf, access, records);
  const got: string[] = [];
  const want: string[] = [];
  for (const [i] of cases.entries()) {
    want.push(`${srcOf(i, 1)} -> [${i + 1}]`);
    got.push(`${srcOf(i, 1)} -> [${run.accepted.get(srcOf(i, 1)) ?? ""}]`);
    for (const host of [2, 3]) {
      want.push(`${srcOf(i, host)} -> []`);
      got.push(`${srcOf(i, host)} -> [${run.accepted.get(srcOf(i, host)) ?? ""}]`);
    }
  }
  assertEquals(got, want, run.output.slice(-3000));
  report(
    `interop: fwknopd accepted ${cases.length} packets from ${cases.length} stanzas and refused ${
      records.length - cases.length
    } with wrong keys`,
  );
});
