/**
 * The file-descriptor calls of `fd.ts` through libc over Deno's FFI (Linux),
 * so the daemon's own files need no `node:fs`. Deno's permissions are checked
 * first, as Deno's own file API would (`--allow-read`, `--allow-write` for
 * the path): FFI does not ask them. Renames and removals are Deno's own calls.
 *
 * The `O_*` values are Linux's generic ones (asm-generic/fcntl.h), which
 * x86_64 and aarch64 (the two Linux targets Deno ships) share, except
 * `O_NOFOLLOW`, which is 0o100000 on ARM (and PowerPC) and 0o400000 on
 * x86_64. Alpha, MIPS, PA-RISC and SPARC differ more; Deno runs on none.
 * The errno numbers are the generic ones too (asm-generic/errno*.h).
 *
 * @module
 */
import type { FdOps, FdStat, OpenHow } from "./fd.ts";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, statxFacts } from "./_stat_deno.ts";
import { EINTR, errnoError, lastErrno } from "./_errno_deno.ts";
import {
  libc,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
} from "./libc.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** Throws Deno's own refusal when the permission for `path` is not granted. */
function mustAllow(kind: "read" | "write", path: string): void {
  if (D.permissions.querySync({ name: kind, path }).state === "granted") return;
  throw new D.errors.NotCapable(
    `Requires ${kind} access to "${path}", run again with the --allow-${kind} flag`,
  );
}

const cstr = (s: string) => new TextEncoder().encode(`${s}\0`);

/** The open(2) flags for `how`, always close-on-exec. */
export function openFlags(how: OpenHow): number {
  let f = how.access === "read" ? O_RDONLY : how.access === "write" ? O_WRONLY : O_RDWR;
  if (how.append) f |= O_APPEND;
  if (how.create) f |= O_CREAT;
  if (how.exclusive) f |= O_EXCL;
  if (how.noFollow) f |= O_NOFOLLOW;
  if (how.nonBlock) f |= O_NONBLOCK;
  return f | O_CLOEXEC;
}

function open(path: string, how: OpenHow, mode: number): number {
  if (how.access !== "write") mustAllow("read", path);
  if (how.access !== "read") mustAllow("write", path);
  const flags = openFlags(how);
  for (;;) {
    const fd: number = libc().open(cstr(path), flags, mode);
    if (fd >= 0) return fd;
    const errno = lastErrno();
    if (errno !== EINTR) throw errnoError("open", path, errno);
  }
}

/** Runs a libc call that returns -1 on failure, again after EINTR. */
function check(syscall: string, call: () => number | bigint): number {
  for (;;) {
    const r = Number(call());
    if (r >= 0) return r;
    const errno = lastErrno();
    if (errno !== EINTR) throw errnoError(syscall, undefined, errno);
  }
}

function statx(dirfd: number, path: string, flags: number): FdStat {
  const f = statxFacts(dirfd, path, flags);
  if (f === null) throw errnoError("stat", path === "" ? undefined : path);
  const { dev, ino, uid, gid, nlink, mode, size, isFile, isLink } = f;
  return { dev, ino, uid, gid, nlink, mode, size, isFile, isLink };
}

/** Deno's own call, its error given the errno name as `code` where it has none. */
function viaDeno<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === undefined && e instanceof D.errors.NotFound) {
      throw Object.assign(e as Error, { code: "ENOENT" });
    }
    throw e;
  }
}

/** The libc backend of `fd.ts`. */
export const denoFdOps: FdOps = {
  open,
  // close(2) is never retried: after EINTR the descriptor is gone already.
  close: (fd) => {
    if (libc().close(fd) !== 0) throw errnoError("close");
  },
  write: (fd, data) => check("write", () => libc().write(fd, data, BigInt(data.length))),
  pread: (fd, buf, position) =>
    check("read", () => libc().pread(fd, buf, BigInt(buf.length), BigInt(position))),
  fsync: (fd) => void check("fsync", () => libc().fsync(fd)),
  fdatasync: (fd) => void check("fdatasync", () => libc().fdatasync(fd)),
  fchmod: (fd, mode) => void check("fchmod", () => libc().fchmod(fd, mode)),
  fchown: (fd, uid, gid) => void check("fchown", () => libc().fchown(fd, uid, gid)),
  fstat: (fd) => statx(fd, "", AT_EMPTY_PATH),
  lstat: (path) => (mustAllow("read", path), statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)),
  stat: (path) => (mustAllow("read", path), statx(AT_FDCWD, path, 0)),
  rename: (from, to) => viaDeno(() => D.renameSync(from, to)),
  unlink: (path) => viaDeno(() => D.removeSync(path)),
  realpath: (path) => viaDeno(() => D.realPathSync(path)),
};
