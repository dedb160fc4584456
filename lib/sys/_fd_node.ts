/**
 * The file-descriptor calls of `fd.ts` through `node:fs`: under Node, and
 * under Deno where libc is out of reach (another system, no `--allow-ffi`).
 * Loaded by `fd.ts` only then. Node and Deno's Node layer both open files
 * close-on-exec already (libuv and Deno's runtime add `O_CLOEXEC`).
 *
 * @module
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import type { FdOps, FdStat, OpenHow } from "./fd.ts";

function flags(how: OpenHow): number {
  const c = constants;
  let f = how.access === "read" ? c.O_RDONLY : how.access === "write" ? c.O_WRONLY : c.O_RDWR;
  if (how.append) f |= c.O_APPEND;
  if (how.create) f |= c.O_CREAT;
  if (how.exclusive) f |= c.O_EXCL;
  if (how.noFollow) f |= c.O_NOFOLLOW;
  if (how.nonBlock) f |= c.O_NONBLOCK;
  return f;
}

function facts(st: Stats): FdStat {
  return {
    dev: st.dev,
    ino: st.ino,
    uid: st.uid,
    gid: st.gid,
    nlink: st.nlink,
    mode: st.mode,
    size: st.size,
    isFile: st.isFile(),
    isLink: st.isSymbolicLink(),
  };
}

/** The `node:fs` backend of `fd.ts`. */
export const nodeFdOps: FdOps = {
  open: (path, how, mode) => openSync(path, flags(how), mode),
  close: (fd) => closeSync(fd),
  write: (fd, data) => writeSync(fd, data, 0, data.length),
  pread: (fd, buf, position) => readSync(fd, buf, 0, buf.length, position),
  fsync: (fd) => fsyncSync(fd),
  fdatasync: (fd) => fdatasyncSync(fd),
  fchmod: (fd, mode) => fchmodSync(fd, mode),
  fchown: (fd, uid, gid) => fchownSync(fd, uid, gid),
  fstat: (fd) => facts(fstatSync(fd)),
  lstat: (path) => facts(lstatSync(path)),
  stat: (path) => facts(statSync(path)),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  realpath: (path) => realpathSync(path),
};
