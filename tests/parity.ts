/**
 * Accept-or-refuse decisions of the stock tools and ours on the same
 * configuration files: `fwknopd --exit-parse-config` and `fwknop -T`.
 *
 * @module
 */
import { main as serverMain } from "../server.ts";
import { runOurs, runStock } from "./client_run.ts";

/** Whether the stock fwknopd accepts the pair of files in `dir`. */
export async function stockServerAccepts(dir: string): Promise<boolean> {
  const r = await new Deno.Command("fwknopd", {
    args: ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`, "--exit-parse-config"],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.code === 0;
}

/** Whether fwknopd-ts accepts the pair of files in `dir`. */
export async function ourServerAccepts(dir: string): Promise<boolean> {
  const code = await serverMain(
    ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`, "--exit-parse-config"],
    { out: () => {}, err: () => {} },
  );
  return code === 0;
}

/** Both clients' exit codes for `-T` on an rc file (home holds nothing else). */
export async function clientDecisions(
  rcFile: string,
  home: string,
  args: string[],
): Promise<{ stock: number; ours: number; oursErr: string; stockErr: string }> {
  const argv = ["-T", "--no-save-args", "--rc-file", rcFile, ...args];
  const s = await runStock(argv, home);
  const o = await runOurs(argv, home);
  return { stock: s.code, ours: o.code, oursErr: o.err, stockErr: s.err + s.out };
}
