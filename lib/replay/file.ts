/**
 * The replay cache as fwknopd keeps it: one line per accepted packet in
 * `DIGEST_FILE`, loaded at start and appended to (and flushed to disk)
 * before any grant is made, so a replay is caught even after a restart.
 *
 * @module
 */
import type { ReplayCache, ReplayEntry } from "./cache.ts";
import { fault } from "../fault.ts";
import { isNoSpace, openAppendNoFollow } from "../sys/nofollow.ts";
import { fd as file, isMissing, readAll, writeAll } from "../sys/fd.ts";
import { ReplayRecords } from "./_records.ts";

export { type ReplayCache, replayDigest, type ReplayEntry } from "./cache.ts";
export { MemoryReplayCache } from "./memory.ts";

const HEADER = "# <digest> <proto> <src_ip> <src_port> <dst_ip> <dst_port> <time>\n";

/**
 * Whether a name exists (a link counts, whatever it points to).
 *
 * @throws {Error} when it cannot be told (a denied permission is not a missing file).
 */
function present(path: string): boolean {
  try {
    file.lstat(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

/** One line's record, or `undefined` when it is not one (checked as fwknopd's loader does). */
function parseLine(line: string): [string, ReplayEntry] | undefined {
  const f = line.trim().split(/\s+/);
  if (
    f.length !== 7 || !/^[A-Za-z0-9+/]{43}$/.test(f[0]!) ||
    f.slice(1).some((x, j) => j !== 1 && j !== 3 && !/^\d+$/.test(x))
  ) {
    return undefined;
  }
  return [f[0]!, {
    proto: Number(f[1]),
    srcIp: f[2]!,
    srcPort: Number(f[3]),
    dstIp: f[4]!,
    dstPort: Number(f[5]),
    time: Number(f[6]),
  }];
}

/**
 * Reads a digest file's text into `into` (a digest seen twice keeps its
 * first place and its last facts).
 *
 * @returns The numbers of the lines that could not be read.
 */
function loadDigestText(text: string, into: { set(d: string, e: ReplayEntry): unknown }): number[] {
  const bad: number[] = [];
  let n = 0;
  for (let at = 0; at < text.length;) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length : end + 1;
    n++;
    if (line === "" || line.startsWith("#")) continue;
    const r = parseLine(line);
    if (r === undefined) bad.push(n);
    else into.set(r[0], r[1]);
  }
  return bad;
}

/** Parses a digest file's text; bad lines are reported, not fatal. */
export function parseDigestFile(
  text: string,
): { entries: Map<string, ReplayEntry>; bad: number[] } {
  const entries = new Map<string, ReplayEntry>();
  return { entries, bad: loadDigestText(text, entries) };
}

/**
 * The file-backed cache in fwknopd's format. In memory each record is packed
 * (about 60 bytes, see `_records.ts`); `get` and `claim` return a fresh copy.
 */
export class FileReplayCache implements ReplayCache {
  readonly #entries: ReplayRecords;
  #fd: number | undefined;
  readonly #path: string;
  /** What must go before the next record: the header, or a newline after a torn write. */
  #pending: string;
  /** Line numbers that could not be read at load. */
  readonly badLines: number[];

  private constructor(
    path: string,
    entries: ReplayRecords,
    fd: number | undefined,
    bad: number[],
  ) {
    this.#path = path;
    this.#entries = entries;
    this.#fd = fd;
    this.#pending = fd === undefined || file.fstat(fd).size === 0 ? HEADER : "";
    this.badLines = bad;
  }

  /**
   * Opens (or creates, 0600) the digest file, never through a link (see
   * lib/sys/nofollow.ts). A full disk does not stop the start: the header
   * (or the file itself) is written with the first record, and until then
   * each claim fails naming the file, as when the disk fills while running.
   *
   * @param path `DIGEST_FILE`.
   * @param rotate Rename an existing file to `<path>-old` first (`--rotate-digest-cache`).
   * @throws {Error} naming the file when it is a link, not ours, or cannot be opened or read.
   */
  static open(path: string, rotate = false): FileReplayCache {
    if (rotate && present(path)) file.rename(path, `${path}-old`);
    let fd: number | undefined;
    try {
      fd = openAppendNoFollow(path, "digest cache");
    } catch (e) {
      if (!isNoSpace(e)) throw e;
    }
    const records = new ReplayRecords();
    let bad: number[] = [];
    if (fd !== undefined) {
      try {
        bad = loadDigestText(new TextDecoder().decode(readAll(fd)), records);
      } catch (e) {
        file.close(fd);
        throw new Error(`Cannot read the digest cache "${path}": ${(e as Error).message}`);
      }
    }
    const cache = new FileReplayCache(path, records, fd, bad);
    cache.#flushPending();
    return cache;
  }

  /** Writes the header of a new file now if the disk allows (else with the first record). */
  #flushPending(): void {
    if (this.#pending === "" || this.#fd === undefined) return;
    try {
      this.#append("");
    } catch {
      // a full disk: tried again with the first record
    }
  }

  /** Appends `text` after what is pending and flushes it to disk. */
  #append(text: string): void {
    this.#fd ??= openAppendNoFollow(this.#path, "digest cache");
    const fd = this.#fd;
    const before = file.fstat(fd).size;
    const bytes = new TextEncoder().encode(this.#pending + text);
    try {
      writeAll(fd, bytes);
      file.fdatasync(fd);
    } catch (e) {
      // A torn write: end its line, so the next record starts on its own.
      const size = file.fstat(fd).size;
      if (size === 0) this.#pending = HEADER;
      else if (size !== before) this.#pending = "\n";
      throw e;
    }
    this.#pending = "";
  }

  get(digest: string): ReplayEntry | undefined {
    return this.#entries.get(digest);
  }

  claim(digest: string, e: ReplayEntry): ReplayEntry | undefined {
    // Durable first: the in-memory entry never gets ahead of the file. A
    // failure (disk full, file gone read-only) names the file and records
    // nothing; the caller refuses the packet and the next claim tries again.
    return this.#entries.claim(digest, e, () => {
      const line =
        `${digest} ${e.proto} ${e.srcIp} ${e.srcPort} ${e.dstIp} ${e.dstPort} ${e.time}\n`;
      try {
        if (fault("replay-write")) throw new Error("injected fault: replay-write");
        this.#append(line);
      } catch (err) {
        throw new Error(`Cannot write the digest cache ${this.#path}: ${(err as Error).message}`);
      }
    });
  }

  entries(): Iterable<[string, ReplayEntry]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    if (this.#fd !== undefined) file.close(this.#fd);
    this.#fd = undefined;
  }
}
