/**
 * The replay cache as fwknopd keeps it: one line per accepted packet in
 * `DIGEST_FILE`, loaded at start and appended to (and flushed to disk)
 * before any grant is made, so a replay is caught even after a restart.
 *
 * @module
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import type { ReplayCache, ReplayEntry } from "./cache.ts";
import { fault } from "../fault.ts";

export { type ReplayCache, replayDigest, type ReplayEntry } from "./cache.ts";
export { MemoryReplayCache } from "./memory.ts";

const HEADER = "# <digest> <proto> <src_ip> <src_port> <dst_ip> <dst_port> <time>\n";

/** Parses a digest file's text; bad lines are reported, not fatal. */
export function parseDigestFile(
  text: string,
): { entries: Map<string, ReplayEntry>; bad: number[] } {
  const entries = new Map<string, ReplayEntry>();
  const bad: number[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("#")) continue;
    const f = line.trim().split(/\s+/);
    if (
      f.length !== 7 || !/^[A-Za-z0-9+/]{43}$/.test(f[0]!) ||
      f.slice(1).some((x, j) => j !== 1 && j !== 3 && !/^\d+$/.test(x))
    ) {
      bad.push(i + 1);
      continue;
    }
    entries.set(f[0]!, {
      proto: Number(f[1]),
      srcIp: f[2]!,
      srcPort: Number(f[3]),
      dstIp: f[4]!,
      dstPort: Number(f[5]),
      time: Number(f[6]),
    });
  }
  return { entries, bad };
}

/** The file-backed cache in fwknopd's format. */
export class FileReplayCache implements ReplayCache {
  readonly #entries: Map<string, ReplayEntry>;
  readonly #fd: number;
  readonly #path: string;
  /** Line numbers that could not be read at load. */
  readonly badLines: number[];

  private constructor(path: string, entries: Map<string, ReplayEntry>, fd: number, bad: number[]) {
    this.#path = path;
    this.#entries = entries;
    this.#fd = fd;
    this.badLines = bad;
  }

  /**
   * Opens (or creates) the digest file.
   *
   * @param path `DIGEST_FILE`.
   * @param rotate Rename an existing file to `<path>-old` first (`--rotate-digest-cache`).
   */
  static open(path: string, rotate = false): FileReplayCache {
    if (rotate && existsSync(path)) renameSync(path, `${path}-old`);
    let entries = new Map<string, ReplayEntry>();
    let bad: number[] = [];
    const exists = existsSync(path);
    if (exists) ({ entries, bad } = parseDigestFile(readFileSync(path, "utf8")));
    const fd = openSync(path, "a", 0o600);
    if (!exists) writeSync(fd, HEADER);
    return new FileReplayCache(path, entries, fd, bad);
  }

  get(digest: string): ReplayEntry | undefined {
    return this.#entries.get(digest);
  }

  claim(digest: string, e: ReplayEntry): ReplayEntry | undefined {
    const seen = this.#entries.get(digest);
    if (seen !== undefined) return seen;
    // Durable first: the in-memory entry never gets ahead of the file. A
    // failure (disk full, file gone read-only) names the file; the caller
    // refuses the packet and the next claim tries again.
    const line = `${digest} ${e.proto} ${e.srcIp} ${e.srcPort} ${e.dstIp} ${e.dstPort} ${e.time}\n`;
    try {
      if (fault("replay-write")) throw new Error("injected fault: replay-write");
      writeSync(this.#fd, line);
      fdatasyncSync(this.#fd);
    } catch (err) {
      throw new Error(`Cannot write the digest cache ${this.#path}: ${(err as Error).message}`);
    }
    this.#entries.set(digest, e);
    return undefined;
  }

  entries(): Iterable<[string, ReplayEntry]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
