/**
 * One stanza's try at a packet (SPEC §5 step 4.3): Rijndael when the
 * payload is under 400 characters or the stanza runs commands, then GnuPG
 * for long payloads when no Rijndael try succeeded. HMAC is checked before
 * any decryption inside the decoders.
 *
 * @module
 */
import { type AccessStanza, MAX_KEY_BYTES } from "../config/access_conf.ts";
import type { GpgDecodeResult } from "../spa/gpg.ts";
import { bytesToLatin1 } from "../spa/text.ts";
import {
  type DecodeResult,
  decodeScreened,
  GPG_MIN_LEN,
  MAX_HMAC_KEY_LEN,
  type SpaKeys,
} from "../spa/packet.ts";

let gpgImport: Promise<typeof import("../spa/gpg.ts")> | undefined;
/** The GnuPG decoder, loaded once on the first GnuPG-sized packet for a GnuPG stanza. */
function gpgModule(): Promise<typeof import("../spa/gpg.ts")> {
  gpgImport ??= import("../spa/gpg.ts");
  return gpgImport;
}

/** Each stanza's Rijndael keys, built once instead of per packet. */
const stanzaKeys = new WeakMap<AccessStanza, SpaKeys>();

function rijndaelKeys(s: AccessStanza, key: Uint8Array): SpaKeys {
  let k = stanzaKeys.get(s);
  if (k === undefined) {
    k = { key, mode: s.mode };
    if (s.hmacKey !== undefined) {
      k.hmacKey = s.hmacKey;
      k.hmacType = s.hmacType;
    }
    stanzaKeys.set(s, k);
  }
  return k;
}

/**
 * Decodes SPA data with one stanza's keys.
 *
 * @param data The screened SPA data (`screenPacket`: base64 characters only).
 * @param s The stanza.
 * @returns The decoder's result, or `undefined` when the stanza has no key
 *   that applies to a payload of this size; a promise only when GnuPG is
 *   tried (Rijndael answers at once, without a promise per packet).
 */
export function authenticate(
  data: Uint8Array,
  s: AccessStanza,
):
  | DecodeResult
  | undefined
  | Promise<DecodeResult | GpgDecodeResult | undefined> {
  let r: DecodeResult | undefined;
  if (s.key !== undefined && s.key.length > MAX_KEY_BYTES && s.gpgPolicy === undefined) {
    return { ok: false, reason: "decrypt-failed", detail: "Invalid key length" };
  }
  if (s.hmacKey !== undefined && s.hmacKey.length > MAX_HMAC_KEY_LEN) {
    // Loaded with a warning, as fwknopd loads it; every packet is refused, as fwknopd refuses it.
    return { ok: false, reason: "hmac-mismatch", detail: "Invalid HMAC key length" };
  }
  if (s.key !== undefined && (data.length < GPG_MIN_LEN || s.enableCmdExec)) {
    r = decodeScreened(data, rijndaelKeys(s, s.key));
  }
  const gpg = s.gpgPolicy;
  if ((r === undefined || !r.ok) && gpg?.keys !== undefined && data.length >= GPG_MIN_LEN) {
    return gpgTry(data, s, gpg.keys);
  }
  return r;
}

/** The GnuPG try, with the stanza's HMAC settings. */
async function gpgTry(
  data: Uint8Array,
  s: AccessStanza,
  keys: NonNullable<NonNullable<AccessStanza["gpgPolicy"]>["keys"]>,
): Promise<GpgDecodeResult> {
  const { decodeGpgSpa } = await gpgModule();
  const hmac = s.hmacKey === undefined ? {} : { hmacKey: s.hmacKey, hmacType: s.hmacType };
  return await decodeGpgSpa(bytesToLatin1(data), { ...keys, ...hmac });
}
