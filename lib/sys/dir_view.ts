/**
 * The file-system view the run-directory check uses: the file seam where the
 * runtime may read the path (always under Node), else libc's statx and
 * realpath over Deno's FFI (lib/sys/_stat_deno.ts), since the daemon has
 * `--allow-read` for its run directory but not for `/run` or `/`. Without
 * either, looking at a parent throws and the check reports it unchecked.
 *
 * @module
 */
import { realPath, stat } from "./files.ts";
import { isDeno, lacksPermission } from "./runtime.ts";
import type { DirView } from "./safe_dir.ts";

type StatSeam = typeof import("./_stat_deno.ts");

/**
 * The view for this process.
 *
 * @returns A view that picks, per path, the file seam or the FFI seam.
 */
export async function dirView(): Promise<DirView> {
  let seam: StatSeam | undefined;
  if (isDeno && !lacksPermission({ name: "ffi" })) {
    const s = await import("./_stat_deno.ts");
    if (s.available()) seam = s;
  }
  const readable = (p: string) => !isDeno || !lacksPermission({ name: "read", path: p });
  return {
    realpath(p) {
      if (readable(p) || seam === undefined) return realPath(p);
      return seam.realPath(p);
    },
    stat(p) {
      if (readable(p) || seam === undefined) {
        const st = stat(p);
        return { uid: st.uid, mode: st.mode, isDir: st.isDirectory };
      }
      const st = seam.statPath(p, true);
      return { uid: st.uid, mode: st.mode, isDir: st.isDir };
    },
  };
}
