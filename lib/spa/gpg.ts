/**
 * GnuPG mode (SPEC §3.2) with OpenPGP.js: the same plaintext as Rijndael
 * mode, encrypted to the server's public key (and signed by the client's
 * key) as a binary OpenPGP message. fwknop strips the first two base64
 * characters, assuming they are `hQ` (an old-format public-key-encrypted
 * session key packet with a two-byte length); the server puts them back.
 * OpenPGP.js writes new-format packet headers, so the first packet is
 * re-framed into the old format before encoding; the rest is untouched.
 *
 * OpenPGP.js is loaded on first use, so Rijndael-only runs never pay for it.
 *
 * @module
 */
import { b64Decode, b64Encode, isBase64Charset } from "./base64.ts";
import { digestInfo, DigestType, hmacB64, hmacMatches } from "./digest.ts";
import { textBytes, wireText } from "./text.ts";
import { parseMessage } from "./message.ts";
import {
  buildMessage,
  type DecodeResult,
  type EncodedSpa,
  GPG_MIN_LEN,
  MAX_WIRE_LEN,
  SpaKeyError,
  type SpaRequest,
} from "./packet.ts";

/** The two base64 characters fwknop strips from every GnuPG packet. */
export const GPG_PREFIX = "hQ";
/** Longest GnuPG wire string fwknopd accepts. */
export const MAX_GPG_WIRE_LEN = MAX_WIRE_LEN - 1;

// deno-lint-ignore no-explicit-any
type OpenPgp = any;
let pgp: OpenPgp | undefined;

/** Loads OpenPGP.js once. */
export async function openpgp(): Promise<OpenPgp> {
  pgp ??= await import("openpgp");
  return pgp;
}

/**
 * OpenPGP.js settings for fwknop's keys: old DSA/ElGamal keys and SHA-1
 * signatures, which fwknop's own test keys and many deployed keys use.
 */
export const PGP_CONFIG = {
  rejectPublicKeyAlgorithms: new Set<never>(),
  rejectMessageHashAlgorithms: new Set<never>(),
  rejectCurves: new Set<never>(),
  minRSABits: 1024,
};

/**
 * Rewrites the first packet's header to the old format with a two-byte
 * length (tag 1 becomes 0x85), which is what fwknop's `hQ` rule expects.
 *
 * @param msg A binary OpenPGP message.
 * @returns The message with its first header re-framed.
 * @throws {SpaKeyError} when the first packet is not a public-key encrypted session key.
 */
export function oldFormatFirstPacket(msg: Uint8Array): Uint8Array {
  const ctb = msg[0];
  if (ctb === undefined || (ctb & 0x80) === 0) {
    throw new SpaKeyError("Cannot use GnuPG output: not an OpenPGP message");
  }
  let tag: number;
  let len: number;
  let hdr: number;
  if ((ctb & 0x40) === 0) {
    tag = (ctb >> 2) & 0x0f;
    const lt = ctb & 3;
    if (lt === 3) {
      throw new SpaKeyError("Cannot use GnuPG output: indeterminate first packet length");
    }
    const n = [1, 2, 4][lt]!;
    len = 0;
    for (let i = 1; i <= n; i++) len = len * 256 + msg[i]!;
    hdr = 1 + n;
  } else {
    tag = ctb & 0x3f;
    const o1 = msg[1]!;
    if (o1 < 192) [len, hdr] = [o1, 2];
    else if (o1 < 224) [len, hdr] = [((o1 - 192) << 8) + msg[2]! + 192, 3];
    else if (o1 === 255) {
      [len, hdr] = [((msg[2]! << 24) | (msg[3]! << 16) | (msg[4]! << 8) | msg[5]!) >>> 0, 6];
    } else throw new SpaKeyError("Cannot use GnuPG output: partial-length first packet");
  }
  if (tag !== 1) {
    throw new SpaKeyError(
      `Cannot use GnuPG output: the first packet has tag ${tag}, not a public-key encrypted session key`,
    );
  }
  if (len >= 4096) {
    throw new SpaKeyError(
      "Cannot use GnuPG output: the session key packet is too long to start with 'hQ'",
    );
  }
  const out = new Uint8Array(3 + msg.length - hdr);
  out[0] = 0x85;
  out[1] = len >> 8;
  out[2] = len & 0xff;
  out.set(msg.subarray(hdr), 3);
  return out;
}

/** What GnuPG mode needs besides the message fields. */
export interface GpgSpaRequest extends Omit<SpaRequest, "key" | "mode" | "salt"> {
  /** The server's public key (an OpenPGP.js key). */
  recipientKey: unknown;
  /** The client's decrypted private key, to sign with. */
  signingKey?: unknown;
}

/**
 * Builds a GnuPG-mode SPA packet as the fwknop 2.6 client does.
 *
 * @returns The packet and its parts.
 * @throws {SpaFieldError} for a field a server would refuse.
 * @throws {SpaKeyError} for unusable keys or a packet of the wrong size.
 */
export async function encodeGpgSpa(req: GpgSpaRequest): Promise<EncodedSpa> {
  const p = await openpgp();
  const { normalised, encoded, digest, plaintext } = buildMessage(req);
  let bytes: Uint8Array;
  try {
    bytes = await p.encrypt({
      message: await p.createMessage({ binary: new TextEncoder().encode(plaintext) }),
      encryptionKeys: req.recipientKey,
      ...(req.signingKey === undefined ? {} : { signingKeys: req.signingKey }),
      format: "binary",
      config: PGP_CONFIG,
    });
  } catch (e) {
    throw new SpaKeyError(`Cannot encrypt with GnuPG keys: ${(e as Error).message}`);
  }
  const full = b64Encode(oldFormatFirstPacket(bytes));
  let wire = full.slice(GPG_PREFIX.length);
  let hmac: string | undefined;
  if (req.hmacKey !== undefined) {
    hmac = hmacB64(req.hmacType ?? DigestType.SHA256, req.hmacKey, full);
    wire += hmac;
  }
  if (wire.length < GPG_MIN_LEN || wire.length > MAX_GPG_WIRE_LEN) {
    throw new SpaKeyError(
      `Cannot build the GnuPG SPA packet: it is ${wire.length} characters, fwknop needs 400 to 1499`,
    );
  }
  const out: EncodedSpa = { fields: normalised, encoded, digest, wire };
  if (hmac !== undefined) out.hmac = hmac;
  return out;
}

/** Keys and checks for decoding GnuPG packets. */
export interface GpgDecodeKeys {
  /** Decrypted private keys that may hold the session key. */
  decryptionKeys: unknown[];
  /** Public keys whose signatures can be verified. */
  verificationKeys: unknown[];
  hmacKey?: Uint8Array;
  hmacType?: DigestType;
}

/** A signature found on a GnuPG packet. */
export interface GpgSignature {
  /** Fingerprint of the signing key (upper-case hex), as GPGME reports it. */
  fingerprint?: string;
  /** Last 8 hex characters of the fingerprint (fwknop's signer ID), or of the key ID when the key is unknown. */
  id: string;
  /** Whether the signature verified against a known key. */
  valid: boolean;
  /** Why it did not verify. */
  error?: string;
}

/** A decoded GnuPG packet: the fields plus its signatures. */
export type GpgDecodeResult = DecodeResult & { signatures?: GpgSignature[] };

/**
 * Decodes a GnuPG-mode packet: HMAC first (over `hQ` + data), then OpenPGP
 * decryption and signature verification, then every field rule. Never throws.
 */
export async function decodeGpgSpa(wire: string, keys: GpgDecodeKeys): Promise<GpgDecodeResult> {
  if (wire.length < GPG_MIN_LEN || wire.length >= MAX_WIRE_LEN) {
    return {
      ok: false,
      reason: "bad-length",
      detail: `length ${wire.length} is outside 400..1499`,
    };
  }
  if (!isBase64Charset(wire)) {
    return { ok: false, reason: "not-base64", detail: "holds non-base64 characters" };
  }
  let body = wire;
  let hmac: string | undefined;
  if (keys.hmacKey !== undefined) {
    const type = keys.hmacType ?? DigestType.SHA256;
    const macLen = digestInfo(type).b64Length;
    body = wire.slice(0, wire.length - macLen);
    const mac = wire.slice(wire.length - macLen);
    if (!hmacMatches(type, keys.hmacKey, textBytes(GPG_PREFIX + body), mac)) {
      return { ok: false, reason: "hmac-mismatch", detail: "HMAC does not match" };
    }
    hmac = mac;
  }
  const full = body.startsWith(GPG_PREFIX) ? body : GPG_PREFIX + body;
  const bytes = b64Decode(full);
  if (bytes === undefined || b64Encode(bytes) !== full) {
    return { ok: false, reason: "not-base64", detail: "is not canonical base64" };
  }
  const p = await openpgp();
  let text: string;
  const signatures: GpgSignature[] = [];
  try {
    const message = await p.readMessage({ binaryMessage: bytes, config: PGP_CONFIG });
    const r = await p.decrypt({
      message,
      decryptionKeys: keys.decryptionKeys,
      verificationKeys: keys.verificationKeys,
      format: "binary",
      config: PGP_CONFIG,
    });
    text = wireText(r.data as Uint8Array);
    for (const s of r.signatures) {
      const keyId = s.keyID.toHex().toUpperCase();
      const signer = keys.verificationKeys
        // deno-lint-ignore no-explicit-any
        .flatMap((k: any) => [k, ...k.subkeys])
        // deno-lint-ignore no-explicit-any
        .find((k: any) => k.getKeyID().toHex().toUpperCase() === keyId);
      const fingerprint: string | undefined = signer?.getFingerprint().toUpperCase();
      const sig: GpgSignature = { id: (fingerprint ?? keyId).slice(-8), valid: false };
      if (fingerprint !== undefined) sig.fingerprint = fingerprint;
      try {
        await s.verified;
        sig.valid = true;
      } catch (e) {
        sig.error = (e as Error).message;
      }
      signatures.push(sig);
    }
  } catch (e) {
    return { ok: false, reason: "decrypt-failed", detail: `GnuPG: ${(e as Error).message}` };
  }
  const parsed = parseMessage(text);
  if (!parsed.ok) {
    return parsed.reason === "digest-mismatch"
      ? { ok: false, reason: "digest-mismatch", detail: "SPA digest does not match" }
      : parsed;
  }
  const out: GpgDecodeResult = {
    ok: true,
    fields: parsed.message,
    encoded: parsed.encoded,
    digest: parsed.digest,
    signatures,
  };
  if (hmac !== undefined) out.hmac = hmac;
  return out;
}
