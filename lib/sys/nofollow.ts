/**
 * Opening and writing the daemon's own files (digest cache, pid file,
 * fleet status) so that a link planted where they belong is never written
 * through. Appends open with `O_NOFOLLOW` (a symbolic link as the last
 * component fails with `ELOOP`) and are checked before the first byte: the
 * open file (fstat) must be the path's own entry (lstat: same device and
 * inode), a regular file with one link, owned by the daemon. Whole-file
 * writes go to a fresh file made with `O_EXCL` (which never follows a link)
 * and renamed over the name (which replaces a link, never its target).
 * Files are created 0600 and opened close-on-exec. The calls go through
 * the file-descriptor seam (`fd.ts`: libc under Deno, `node:fs` under Node).
 *
 * @module
 */
import { fd as file, type FdStat, isMissing, writeAll } from "./fd.ts";
import { isDeno, lacksPermission, uid as runtimeUid } from "./runtime.ts";
import { available, getuid } from "./_stat_deno.ts";

/** What decides whether an opened file may be written. */
export interface FileFacts {
  dev: number | bigint;
  ino: number | bigint;
  uid: number;
  nlink: number;
  /** A regular file. */
  isFile: boolean;
  /** A symbolic link (meaningful for the path's lstat only). */
  isLink: boolean;
}

/**
 * Why an opened file must not be written, or `undefined` when it may.
 *
 * @param opened fstat of the open descriptor.
 * @param entry lstat of the path, taken after the open.
 * @param uid The daemon's uid, or `undefined` when unknown (no owner check).
 * @returns The reason, such as `it is a symbolic link`.
 */
export function refusal(
  opened: FileFacts,
  entry: FileFacts,
  uid: number | undefined,
): string | undefined {
  if (entry.isLink) return "it is a symbolic link";
  if (!opened.isFile) return "it is not a regular file";
  if (opened.dev !== entry.dev || opened.ino !== entry.ino) {
    return "it was replaced while being opened";
  }
  if (uid !== undefined && opened.uid !== uid) {
    return `it is owned by uid ${opened.uid}, not by this daemon (uid ${uid})`;
  }
  if (opened.nlink !== 1) return `it has ${opened.nlink} links`;
  return undefined;
}

function facts(st: FdStat): FileFacts {
  return {
    dev: st.dev,
    ino: st.ino,
    uid: st.uid,
    nlink: st.nlink,
    isFile: st.isFile,
    isLink: st.isLink,
  };
}

/**
 * Whether an error (or its cause) says the disk or the quota is full.
 *
 * @param e What was thrown.
 * @returns `true` for `ENOSPC` and `EDQUOT`.
 */
export function isNoSpace(e: unknown): boolean {
  for (let x = e; x !== undefined && x !== null; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: string }).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
    if (!(x instanceof Error)) break;
  }
  return false;
}

/**
 * The daemon's uid: from the runtime, else (Deno without `--allow-sys`)
 * from libc over FFI.
 *
 * @returns The uid, or `undefined` when neither may tell it.
 */
export function ownUid(): number | undefined {
  try {
    return runtimeUid();
  } catch {
    // no --allow-sys
  }
  if (isDeno && !lacksPermission({ name: "ffi" }) && available()) return getuid();
  return undefined;
}

/** The daemon's appended files: never through a link, never blocking on a planted FIFO. */
const APPEND_HOW = {
  access: "readWrite",
  append: true,
  create: true,
  noFollow: true,
  nonBlock: true,
} as const;

/** A fresh temporary file: `O_EXCL` fails on any name there, a link included. */
const TEMP_HOW = { access: "write", create: true, exclusive: true, noFollow: true } as const;

/**
 * Opens a file of the daemon's for reading and appending, creating it 0600,
 * never through a link, and checks it before anything is written.
 *
 * @param path The file.
 * @param what What it is, for the message (`digest cache`).
 * @param uid The daemon's uid (default: this process's).
 * @returns The descriptor (for `fd.ts`'s calls); reads start where `pread` says.
 * @throws {Error} `Cannot open the <what> "<path>": <reason>`.
 */
export function openAppendNoFollow(path: string, what: string, uid = ownUid()): number {
  let fd: number;
  try {
    fd = file.open(path, APPEND_HOW, 0o600);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ELOOP" ? "it is a symbolic link" : (e as Error).message;
    throw new Error(`Cannot open the ${what} "${path}": ${why}`, { cause: e });
  }
  let why: string | undefined;
  try {
    why = refusal(facts(file.fstat(fd)), facts(file.lstat(path)), uid);
  } catch (e) {
    file.close(fd);
    throw e;
  }
  if (why !== undefined) {
    file.close(fd);
    throw new Error(`Cannot open the ${what} "${path}": ${why}`);
  }
  return fd;
}

/**
 * Replaces a file of the daemon's with `text`: written to `<path>.tmp`
 * (whatever is there first removed, then created with `O_EXCL`, 0600) and
 * renamed over `path`. A link at either name is replaced, never followed.
 *
 * @param path The file.
 * @param text Its new content.
 * @throws {Error} naming the file when a step fails (the temporary file is removed).
 */
export function replaceOwnFile(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  try {
    file.unlink(tmp);
  } catch (e) {
    if (!isMissing(e)) {
      throw new Error(`Cannot write ${tmp}: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    const fd = file.open(tmp, TEMP_HOW, 0o600);
    try {
      writeAll(fd, new TextEncoder().encode(text));
    } finally {
      file.close(fd);
    }
    file.rename(tmp, path);
  } catch (e) {
    try {
      file.unlink(tmp);
    } catch { /* never made */ }
    throw new Error(`Cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
