/**
 * Where kernel LOG lines come from: the kernel's own log (`/dev/kmsg`, one
 * record per read, starting at its end) or a syslog file (`IPT_SYSLOG_FILE`)
 * followed from its end, reopened when it is rotated (a new inode) or
 * truncated (it shrank). Lines that are knocks come out as packets.
 *
 * @module
 */
import type { CapturedPacket } from "../lib/capture/packet.ts";
import { parseLogLine } from "./log_line.ts";

/** How often a syslog file is looked at for new lines. */
const FILE_POLL_MS = 200;
/** Longest kmsg record. */
const KMSG_RECORD = 8192;

/** A stream of knock packets read from kernel LOG lines. */
export interface LogSource {
  /** Packets in the order their lines were read; ends when closed. */
  packets(): AsyncIterable<CapturedPacket>;
  close(): void;
}

/** /dev/kmsg records: `prio,seq,usec,flags;message`. */
export function kmsgSource(path = "/dev/kmsg"): LogSource {
  let file: Deno.FsFile | undefined;
  let closed = false;
  return {
    async *packets() {
      file = await Deno.open(path, { read: true });
      // Only what is logged from now on: the backlog is old knocks.
      await file.seek(0, Deno.SeekMode.End);
      const buf = new Uint8Array(KMSG_RECORD);
      const dec = new TextDecoder();
      try {
        while (!closed) {
          let n: number | null;
          try {
            n = await file.read(buf);
          } catch (e) {
            // EPIPE: records were overwritten before we read them; go on with the next.
            if (e instanceof Deno.errors.BrokenPipe) continue;
            if (closed) break;
            throw e;
          }
          if (n === null) break;
          const rec = dec.decode(buf.subarray(0, n));
          const pkt = parseLogLine(rec.slice(rec.indexOf(";") + 1));
          if (pkt !== undefined) yield pkt;
        }
      } finally {
        try {
          file.close();
        } catch {
          // already closed by close()
        }
      }
    },
    close() {
      closed = true;
      try {
        file?.close();
      } catch {
        // not open, or closed already
      }
    },
  };
}

/**
 * A syslog file, followed like `tail -F` from its current end.
 *
 * @param path IPT_SYSLOG_FILE.
 * @param pollMs How often to look (tests pass less).
 */
export function fileSource(path: string, pollMs = FILE_POLL_MS): LogSource {
  let closed = false;
  let wake: (() => void) | undefined;
  return {
    async *packets() {
      let ino: number | null | undefined;
      let pos = 0;
      try {
        const st = await Deno.stat(path);
        ino = st.ino;
        pos = st.size;
      } catch {
        // Not there yet: it will be read from its start once it appears.
      }
      let rest = "";
      const dec = new TextDecoder();
      while (!closed) {
        let st: Deno.FileInfo | undefined;
        try {
          st = await Deno.stat(path);
        } catch {
          st = undefined;
        }
        if (st !== undefined) {
          if (st.ino !== ino || st.size < pos) {
            // Rotated or truncated: the new file is read from its start.
            ino = st.ino;
            pos = 0;
            rest = "";
          }
          if (st.size > pos) {
            const f = await Deno.open(path, { read: true });
            try {
              await f.seek(pos, Deno.SeekMode.Start);
              const buf = new Uint8Array(st.size - pos);
              let off = 0;
              while (off < buf.length) {
                const n = await f.read(buf.subarray(off));
                if (n === null) break;
                off += n;
              }
              pos += off;
              const lines = (rest + dec.decode(buf.subarray(0, off))).split("\n");
              rest = lines.pop() ?? "";
              for (const line of lines) {
                const pkt = parseLogLine(line);
                if (pkt !== undefined) yield pkt;
              }
            } finally {
              f.close();
            }
          }
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, pollMs);
        });
      }
    },
    close() {
      closed = true;
      wake?.();
    },
  };
}
