/**
 * This process: its id, the platform it runs on, signals in and out, and
 * starting a detached copy of itself. Deno and Node behind one small API.
 *
 * @module
 */
import { isDeno } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;
// Node's process object, loaded only under Node (Deno's own calls start faster).
// deno-lint-ignore no-explicit-any
const node: any = isDeno ? undefined : (await import("node:process")).default;

/** The signals the daemon handles or sends. */
export type Signal = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGKILL";

/** This process's id. */
export function pid(): number {
  return isDeno ? D.pid : node.pid;
}

/** Whether this process runs on Linux. */
export function onLinux(): boolean {
  return (isDeno ? D.build.os : node.platform) === "linux";
}

/**
 * Sends `sig` to process `target`.
 *
 * @throws {Error} Deno's permission error without unrestricted `--allow-run`,
 * or the OS error (no such process, not permitted).
 */
export function kill(target: number, sig: Signal): void {
  if (isDeno) D.kill(target, sig);
  else node.kill(target, sig);
}

/** Calls `handler` on each `sig` this process receives. */
export function onSignal(sig: Signal, handler: () => void): void {
  if (isDeno) D.addSignalListener(sig, handler);
  else node.on(sig, handler);
}

/** Stops calling a handler set with `onSignal`. */
export function offSignal(sig: Signal, handler: () => void): void {
  if (isDeno) D.removeSignalListener(sig, handler);
  else node.off(sig, handler);
}

/** A child started by `spawnDetached`. */
export interface DetachedChild {
  readonly pid: number;
}

/**
 * Starts `deno run <args>` with this process's runtime as a detached child
 * whose standard streams go nowhere; this process may exit before it.
 *
 * @throws {Error} under Node, or when Deno refuses (run access to its own
 * program is a permission).
 */
export function spawnDetached(args: readonly string[]): DetachedChild {
  if (!isDeno) throw new Error("detaching needs Deno");
  const child = new D.Command(D.execPath(), {
    args: ["run", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  return { pid: child.pid };
}
