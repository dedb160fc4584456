/**
 * One access stanza per digest type with fresh base64 keys, and the client
 * arguments that match each: shared by the namespace suites that check every
 * digest and HMAC type end to end.
 *
 * @module
 */
import { b64EncodePadded } from "../lib/spa/base64.ts";
import { DIGESTS } from "../lib/spa/digest.ts";

/** A stanza and the client arguments for one digest type. */
export interface DigestCase {
  name: string;
  stanza: string;
  /** Client arguments: digest, HMAC type and the base64 keys (add -A and addresses). */
  args: string[];
}

/** Makes one case per digest type (the same type for the SPA digest and the HMAC). */
export function digestMatrix(fwAccessTimeout = 3): DigestCase[] {
  return [...DIGESTS.values()].map((d) => {
    const key = b64EncodePadded(crypto.getRandomValues(new Uint8Array(32)));
    const hmac = b64EncodePadded(crypto.getRandomValues(new Uint8Array(64)));
    return {
      name: `digest ${d.name}, HMAC ${d.name}, base64 keys`,
      stanza:
        `SOURCE ANY\nKEY_BASE64 ${key}\nHMAC_KEY_BASE64 ${hmac}\nHMAC_DIGEST_TYPE ${d.name}\nFW_ACCESS_TIMEOUT ${fwAccessTimeout}\n`,
      args: [
        "-m",
        d.name,
        "--hmac-digest-type",
        d.name,
        "--key-base64-rijndael",
        key,
        "--key-base64-hmac",
        hmac,
      ],
    };
  });
}
