/**
 * Replacing a file's content so that no reader ever sees it half-written and
 * no crash leaves it damaged: the new bytes go to a fresh file beside it
 * (created with `O_EXCL`, so no symlink or earlier file is followed), given
 * the original's mode and owner, flushed to disk, then renamed over the
 * original, and the directory flushed too.
 *
 * @module
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname } from "node:path";

/** The write step, replaceable so tests can make it fail half-way. */
export type WriteFn = (fd: number, data: Uint8Array) => void;

/** Writes all of `data` (the default write step). */
function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}

/** A name for the temporary file that nobody can guess ahead. */
function tempName(real: string): string {
  const rand = [...crypto.getRandomValues(new Uint8Array(8))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${dirname(real)}/.${basename(real)}.${rand}.tmp`;
}

/** Flushes a directory's entries (the rename) to disk. */
function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a file's content atomically, keeping its mode and owner. A
 * symlink is followed: the file it points to is replaced, the link stays.
 *
 * @param path The file to replace (it must exist).
 * @param data Its new content.
 * @param write The write step (tests pass one that fails).
 * @throws {Error} when any step fails; the original is then untouched and
 *   the temporary file removed.
 */
export function replaceFileSync(path: string, data: Uint8Array, write: WriteFn = writeAll): void {
  const real = realpathSync(path);
  const st = statSync(real);
  const tmp = tempName(real);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let open = true;
  try {
    fchownSync(fd, st.uid, st.gid);
    fchmodSync(fd, st.mode & 0o7777);
    write(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, real);
  } catch (e) {
    if (open) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
  syncDir(dirname(real));
}
