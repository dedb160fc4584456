/**
 * Replacing a file's content so that no reader ever sees it half-written and
 * no crash leaves it damaged: the new bytes go to a fresh file beside it
 * (created with `O_EXCL`, so no symlink or earlier file is followed), given
 * the original's mode and owner, flushed to disk, then renamed over the
 * original, and the directory flushed too. The calls go through the
 * file-descriptor seam (`fd.ts`: libc under Deno, `node:fs` under Node).
 *
 * @module
 */
import { fd as file, writeAll } from "./fd.ts";

/** The write step, replaceable so tests can make it fail half-way. */
export type WriteFn = (fd: number, data: Uint8Array) => void;

/** The directory of an absolute path without links (as realpath returns it). */
function dirOf(real: string): string {
  return real.slice(0, real.lastIndexOf("/")) || "/";
}

/** A name for the temporary file that nobody can guess ahead. */
function tempName(real: string): string {
  const rand = [...crypto.getRandomValues(new Uint8Array(8))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${dirOf(real)}/.${real.slice(real.lastIndexOf("/") + 1)}.${rand}.tmp`;
}

/** Flushes a directory's entries (the rename) to disk. */
function syncDir(dir: string): void {
  const fd = file.open(dir, { access: "read" }, 0);
  try {
    file.fsync(fd);
  } finally {
    file.close(fd);
  }
}

/** A fresh temporary file: `O_EXCL` fails on any name there, a link included. */
const TEMP_HOW = { access: "write", create: true, exclusive: true } as const;

/**
 * Replaces a file's content atomically, keeping its mode and owner. A
 * symlink is followed: the file it points to is replaced, the link stays.
 *
 * @param path The file to replace (it must exist).
 * @param data Its new content.
 * @param write The write step (tests pass one that fails; default `fd.ts`'s `writeAll`).
 * @throws {Error} when any step fails; the original is then untouched and
 *   the temporary file removed.
 */
export function replaceFileSync(path: string, data: Uint8Array, write: WriteFn = writeAll): void {
  const real = file.realpath(path);
  const st = file.stat(real);
  const tmp = tempName(real);
  const fd = file.open(tmp, TEMP_HOW, 0o600);
  let open = true;
  try {
    file.fchown(fd, st.uid, st.gid);
    file.fchmod(fd, st.mode & 0o7777);
    write(fd, data);
    file.fsync(fd);
    open = false;
    file.close(fd);
    file.rename(tmp, real);
  } catch (e) {
    if (open) file.close(fd);
    try {
      file.unlink(tmp);
    } catch { /* already gone */ }
    throw e;
  }
  syncDir(dirOf(real));
}
