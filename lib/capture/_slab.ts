/**
 * Payload copies carved from shared slabs: capture reuses its read buffers,
 * so a payload must be copied out, and a fresh `Uint8Array` per packet costs
 * several times the copy (a backing store each). A slab is never written
 * twice: a view stays valid for as long as someone holds it, and a full slab
 * is left to the garbage collector once its views are gone.
 *
 * @module
 */

/** Bytes per slab: some 300 SPA-sized payloads. */
const SLAB_LEN = 65536;

let slab = new Uint8Array(SLAB_LEN);
let used = 0;

/**
 * Copies `from.subarray(start, end)` into a slab.
 *
 * @param from The buffer holding the payload.
 * @param start Where the payload starts.
 * @param end Where it ends (exclusive).
 * @returns A view of the copy, valid for ever.
 */
export function copyPayload(from: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n > SLAB_LEN) return from.slice(start, end);
  if (used + n > SLAB_LEN) {
    slab = new Uint8Array(SLAB_LEN);
    used = 0;
  }
  const at = used;
  for (let i = 0; i < n; i++) slab[at + i] = from[start + i]!;
  used += n;
  return slab.subarray(at, at + n);
}
