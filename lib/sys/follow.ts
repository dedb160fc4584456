/**
 * The file access that log sources need, on `node:fs/promises` (which Deno
 * and Node both provide): a character device read record by record without
 * blocking (`/dev/kmsg`), and a regular file's identity and a range of its
 * bytes (a syslog file followed like `tail -F`). The modules load with the
 * first call: only a daemon that reads knocks from logs pays for Deno's Node
 * layer (several MiB resident).
 *
 * @module
 */
import type { FileHandle } from "node:fs/promises";

/** node:fs/promises and node:fs's open flags, loaded on first use. */
async function fsp(): Promise<
  typeof import("node:fs/promises") & { O: typeof import("node:fs").constants }
> {
  const [p, f] = await Promise.all([import("node:fs/promises"), import("node:fs")]);
  return { ...p, O: f.constants };
}

/** What one read of a record device gave. */
export type RecordRead =
  /** Bytes of one record in the buffer. */
  | number
  /** Nothing new yet (EAGAIN): poll again later. */
  | "again"
  /** Records were overwritten before they were read (EPIPE); the next read goes on. */
  | "lost"
  /** End of file. */
  | null;

/** A device opened for reading without blocking, one record per read. */
export interface RecordDevice {
  /**
   * Reads the next record into `buf`.
   *
   * @param buf Room for one record.
   * @returns Its length, or what happened instead.
   * @throws {Error} on any other read error.
   */
  read(buf: Uint8Array): Promise<RecordRead>;
  /** Closes it; idempotent. Never blocks on a pending read (reads do not block). */
  close(): Promise<void>;
}

/** The `code` of a node:fs error, if it has one. */
function code(e: unknown): string | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}

/**
 * Opens a record device (such as /dev/kmsg) read-only and non-blocking.
 *
 * @param path The device.
 * @returns The open device.
 * @throws {Error} when it cannot be opened.
 */
export async function openRecordDevice(path: string): Promise<RecordDevice> {
  const { open, O } = await fsp();
  const h: FileHandle = await open(path, O.O_RDONLY | O.O_NONBLOCK);
  let closed = false;
  return {
    async read(buf) {
      try {
        const r = await h.read(buf, 0, buf.length, null);
        return r.bytesRead === 0 ? null : r.bytesRead;
      } catch (e) {
        if (code(e) === "EAGAIN" || code(e) === "EWOULDBLOCK") return "again";
        if (code(e) === "EPIPE") return "lost";
        throw e;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await h.close().catch(() => {});
    },
  };
}

/** Which file a path names now, and how long it is. */
export interface FileIdentity {
  ino: number;
  size: number;
}

/**
 * The inode and size of a path's file (following links, as `tail -F` does).
 *
 * @param path The file.
 * @returns Them, or `undefined` when there is no such file.
 */
export async function fileIdentity(path: string): Promise<FileIdentity | undefined> {
  try {
    const st = await (await fsp()).stat(path);
    return { ino: st.ino, size: st.size };
  } catch {
    return undefined;
  }
}

/**
 * Reads bytes `from` up to `to` of a file (fewer if it shrank meanwhile).
 *
 * @param path The file.
 * @param from First byte.
 * @param to One past the last byte.
 * @returns The bytes read.
 * @throws {Error} when it cannot be opened or read.
 */
export async function readRange(path: string, from: number, to: number): Promise<Uint8Array> {
  const { open, O } = await fsp();
  const h = await open(path, O.O_RDONLY);
  try {
    const buf = new Uint8Array(Math.max(0, to - from));
    let off = 0;
    while (off < buf.length) {
      const r = await h.read(buf, off, buf.length - off, from + off);
      if (r.bytesRead === 0) break;
      off += r.bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await h.close();
  }
}
