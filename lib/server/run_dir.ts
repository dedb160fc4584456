/**
 * fwknopd's first check of `FWKNOP_RUN_DIR`: the path must be absolute,
 * else it refuses to start with "Path '...' is not absolute." (fwknopd
 * 2.6.10 does this after -K, -R and -S and before -D, --exit-parse-config,
 * the firewall commands and the daemon).
 *
 * @module
 */
import type { ServerConfig } from "../config/server_conf.ts";
import { ConfigError } from "../config/lexer.ts";

/**
 * Refuses a relative run directory, with fwknopd's sentence.
 *
 * @param c The loaded configuration (with `-r` applied).
 * @param fromCommandLine Whether `-r`/`--run-dir` set it.
 * @throws {ConfigError} naming where the path was set.
 */
export function checkRunDirAbsolute(c: ServerConfig, fromCommandLine: boolean): void {
  const dir = c.get("FWKNOP_RUN_DIR")!;
  if (dir.startsWith("/")) return;
  const where = fromCommandLine ? { file: "command line" } : c.origin("FWKNOP_RUN_DIR");
  const name = fromCommandLine ? "--run-dir" : "FWKNOP_RUN_DIR";
  throw new ConfigError(where, name, `Path '${dir}' is not absolute.`);
}
