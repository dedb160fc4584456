/**
 * Whether a directory the daemon writes in is safe, as OpenSSH's
 * StrictModes decides for `~/.ssh`: the directory and every parent up to
 * `/` (after resolving symbolic links) must be owned by root or by the
 * daemon's uid, and must not be writable by group or others. A parent
 * others can write to is allowed only when it has the sticky bit and root
 * or the daemon owns it (`/tmp`): nobody else can then rename or remove
 * what lies in it. The directory itself gets no such exception: in a
 * sticky world-writable directory anyone can still plant a name the daemon
 * has not created yet (its pid file before the first start).
 *
 * @module
 */
/** Group or others may write. */
const WRITE_GROUP_OTHER = 0o022;
/** The sticky bit: only an entry's owner may rename or remove it. */
const STICKY = 0o1000;

/** The facts of one directory that decide. */
export interface DirFacts {
  uid: number;
  mode: number;
}

/**
 * Why one directory is unsafe, or `undefined` when it is safe.
 *
 * @param path The directory (for the message).
 * @param st Its owner and mode.
 * @param uid The daemon's uid.
 * @param leaf Whether it is the directory itself (no sticky exception) or a parent.
 * @returns The reason, naming the path, or `undefined`.
 */
export function unsafeReason(
  path: string,
  st: DirFacts,
  uid: number,
  leaf: boolean,
): string | undefined {
  if (st.uid !== 0 && st.uid !== uid) {
    return `"${path}" is owned by uid ${st.uid}, not by root or by this daemon (uid ${uid})`;
  }
  if ((st.mode & WRITE_GROUP_OTHER) === 0) return undefined;
  if (!leaf && (st.mode & STICKY) !== 0) return undefined;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
  return `"${path}" is writable by group or others (mode ${mode})`;
}

/**
 * The directory and its parents, from the directory up to `/`.
 *
 * @param real An absolute path without links.
 * @returns The paths, the directory first.
 */
export function withParents(real: string): string[] {
  const out = [real];
  let p = real;
  while (p !== "/" && p !== "") {
    p = p.slice(0, p.lastIndexOf("/")) || "/";
    out.push(p);
  }
  return out;
}

/** How the check sees the file system (node:fs, or libc where Deno may not read). */
export interface DirView {
  /** The absolute path without links. */
  realpath(path: string): string;
  /** Owner, mode and whether it is a directory (links followed). */
  stat(path: string): DirFacts & { isDir: boolean };
}

/** The outcome of a check. */
export interface DirCheck {
  /** Why it is unsafe, naming the path at fault; `undefined` when safe. */
  unsafe?: string;
  /** Parents that could not be looked at (no permission to read them, no FFI). */
  unchecked: string[];
}

/**
 * Checks that `dir` is safe to write in (see the module).
 *
 * @param dir The directory (it must exist).
 * @param uid The daemon's uid.
 * @param view How to look at the file system.
 * @returns The reason it is unsafe, if it is, and the parents that could not be looked at.
 */
export function checkDir(dir: string, uid: number, view: DirView): DirCheck {
  const unchecked: string[] = [];
  let real: string;
  try {
    real = view.realpath(dir);
  } catch (e) {
    return { unsafe: `cannot resolve "${dir}": ${(e as Error).message}`, unchecked };
  }
  for (const [i, p] of withParents(real).entries()) {
    let st: DirFacts & { isDir: boolean };
    try {
      st = view.stat(p);
    } catch (e) {
      // The directory itself must be seen; a parent may be out of reach (Deno without FFI).
      if (i === 0) return { unsafe: `cannot stat "${p}": ${(e as Error).message}`, unchecked };
      unchecked.push(p);
      continue;
    }
    if (!st.isDir) return { unsafe: `"${p}" is not a directory`, unchecked };
    const why = unsafeReason(p, st, uid, i === 0);
    if (why !== undefined) return { unsafe: why, unchecked };
  }
  return { unchecked };
}

/**
 * The nearest existing ancestor of a path that does not exist yet (to check
 * before creating it).
 *
 * @param path An absolute path.
 * @param exists Whether a path exists.
 */
export function nearestExisting(path: string, exists: (p: string) => boolean): string {
  for (const p of withParents(path)) if (exists(p)) return p;
  return "/";
}
