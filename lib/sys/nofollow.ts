/**
 * Opening and writing the daemon's own files (digest cache, pid file,
 * fleet status) so that a link planted where they belong is never written
 * through. Appends open with `O_NOFOLLOW` (a symbolic link as the last
 * component fails with `ELOOP`) and are checked before the first byte: the
 * open file (fstat) must be the path's own entry (lstat: same device and
 * inode), a regular file with one link, owned by the daemon. Whole-file
 * writes go to a fresh file made with `O_EXCL` (which never follows a link)
 * and renamed over the name (which replaces a link, never its target).
 * Files are created 0600. Both runtimes open files close-on-exec already
 * (Deno's Rust runtime and libuv both add `O_CLOEXEC`), so the flag is not
 * repeated here.
 *
 * @module
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
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

function facts(st: Stats): FileFacts {
  return {
    dev: st.dev,
    ino: st.ino,
    uid: st.uid,
    nlink: st.nlink,
    isFile: st.isFile(),
    isLink: st.isSymbolicLink(),
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

/**
 * Opens a file of the daemon's for reading and appending, creating it 0600,
 * never through a link, and checks it before anything is written.
 *
 * @param path The file.
 * @param what What it is, for the message (`digest cache`).
 * @param uid The daemon's uid (default: this process's).
 * @returns The descriptor (node:fs), positioned at the start for reading.
 * @throws {Error} `Cannot open the <what> "<path>": <reason>`.
 */
export function openAppendNoFollow(path: string, what: string, uid = ownUid()): number {
  const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT |
    constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ELOOP" ? "it is a symbolic link" : (e as Error).message;
    throw new Error(`Cannot open the ${what} "${path}": ${why}`, { cause: e });
  }
  const why = refusal(facts(fstatSync(fd)), facts(lstatSync(path)), uid);
  if (why !== undefined) {
    closeSync(fd);
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
    unlinkSync(tmp);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") {
      throw new Error(`Cannot write ${tmp}: ${(e as Error).message}`);
    }
  }
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    const fd = openSync(tmp, flags, 0o600);
    try {
      const bytes = new TextEncoder().encode(text);
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch { /* never made */ }
    throw new Error(`Cannot write ${path}: ${(e as Error).message}`);
  }
}
