/**
 * The replay cache's contract, shared by every store: memory, the durable
 * file (fwknopd's digest file, the default) and Redis (fleet mode).
 *
 * @module
 */
import { digestB64, DigestType } from "../spa/digest.ts";

/** What fwknopd records with each digest. */
export interface ReplayEntry {
  proto: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** Unix seconds. */
  time: number;
}

/** What `claim` found: the earlier entry (a replay), or `undefined` (claimed now). */
export type Claimed = ReplayEntry | undefined;

/**
 * A replay cache. The pipeline looks a digest up early (`get`: what this
 * gateway knows, a cheap refusal in fwknopd's order); the engine then
 * `claim`s it before it acts. `claim` is the one authority: it checks and
 * records in one step, so two copies of one packet can never both pass,
 * neither here nor, with a shared store, on another gateway.
 */
export interface ReplayCache {
  /** The entry for a digest, if seen before. */
  get(digest: string): ReplayEntry | undefined;
  /**
   * Records a digest unless it is there already; durable before it returns
   * (or resolves).
   *
   * @param digest The replay key.
   * @param entry The facts to record with it.
   * @param ttlSec How long the record must at least stay (0: for ever). A
   *   local file keeps everything, as fwknopd's does; a shared store may
   *   let a record go once no gateway could accept the packet any more.
   * @returns The earlier entry when the digest was already recorded (a
   *   replay: nothing was written), else `undefined`.
   * @throws {Error} when the record cannot be made (the caller must not grant).
   */
  claim(digest: string, entry: ReplayEntry, ttlSec?: number): Claimed | Promise<Claimed>;
  /** Every record, oldest first. */
  entries(): Iterable<[string, ReplayEntry]>;
  /** Number of entries. */
  readonly size: number;
  /** Releases the file or connection. */
  close(): void | Promise<void>;
}

/**
 * fwknopd's replay key: unpadded base64 of SHA-256 over the whole payload,
 * as bytes as captured (no copy) or as its ASCII text (the same key).
 */
export function replayDigest(payload: Uint8Array | string): string {
  return digestB64(DigestType.SHA256, payload);
}
