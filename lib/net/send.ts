/**
 * The client's transports: UDP (default), TCP, HTTP, and the raw modes
 * (`udpraw`, `tcpraw`, `icmp`) with optional source spoofing.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { RuntimeError } from "../cli/errors.ts";
import { icmpPacket, tcpSynPacket, udpPacket } from "./packets.ts";
import { sendRaw } from "./raw.ts";

/** How long a TCP connect may take. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Sends one UDP datagram.
 *
 * @returns Bytes sent.
 * @throws {RuntimeError} when the send fails.
 */
export function sendUdp(ip: string, port: number, payload: string): Promise<number> {
  const data = new TextEncoder().encode(payload);
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(ip) ? "udp6" : "udp4");
    sock.on("error", (e) => {
      sock.close();
      reject(new RuntimeError(`Cannot send SPA over udp to ${ip}:${port}: ${e.message}`));
    });
    sock.send(data, port, ip, (err) => {
      sock.close();
      if (err) {
        reject(new RuntimeError(`Cannot send SPA over udp to ${ip}:${port}: ${err.message}`));
      } else resolve(data.length);
    });
  });
}

/**
 * Connects over TCP, writes the payload and closes.
 *
 * @returns Bytes sent.
 * @throws {RuntimeError} when the connection fails.
 */
export function sendTcp(ip: string, port: number, payload: string, what = "tcp"): Promise<number> {
  const data = new TextEncoder().encode(payload);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: ip, port });
    const fail = (msg: string) => {
      sock.destroy();
      reject(new RuntimeError(`Cannot send SPA over ${what} to ${ip}:${port}: ${msg}`));
    };
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => fail("timed out"));
    sock.on(
      "error",
      (e: Error & { code?: string }) =>
        fail(e.code === "ECONNREFUSED" ? "connection refused" : e.message),
    );
    sock.on("connect", () => {
      sock.end(data, () => {
        sock.destroy();
        resolve(data.length);
      });
    });
  });
}

/** What the raw transports need. */
export interface RawSend {
  proto: "udpraw" | "tcpraw" | "icmp";
  src: string;
  dst: string;
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
}

/**
 * Builds and sends a raw packet carrying the payload.
 *
 * @returns Bytes of payload sent.
 * @throws {RuntimeError} without raw-socket support or privilege.
 */
export async function sendRawSpa(r: RawSend, payload: string): Promise<number> {
  const data = new TextEncoder().encode(payload);
  const id = Math.floor(Math.random() * 0xffff);
  const addr = { src: r.src, dst: r.dst, sport: r.sport, dport: r.dport, id };
  const pkt = r.proto === "udpraw"
    ? udpPacket(addr, data)
    : r.proto === "tcpraw"
    ? tcpSynPacket(addr, data)
    : icmpPacket({
      src: r.src,
      dst: r.dst,
      type: r.icmpType,
      code: r.icmpCode,
      echoId: r.sport,
      id,
    }, data);
  await sendRaw(pkt, r.dst);
  return data.length;
}
