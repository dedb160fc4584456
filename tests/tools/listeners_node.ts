/**
 * The daemon's two listeners alone, for running under Node (bundled by
 * tests/listener_node_test.ts): metrics on 127.0.0.1 and the TCP server,
 * both on free ports, printed as `ports METRICS TCP`; their warnings go to
 * standard error. Runs until killed.
 *
 * @module
 */
import { Metrics, serveMetrics } from "../../lib/server/metrics.ts";
import { startDummyTcpServer } from "../../lib/capture/tcp_server.ts";
import { isDeno, writeErr, writeOut } from "../../lib/sys/runtime.ts";

const m = new Metrics("none");
m.verdict("accepted");
const warn = (msg: string) => writeErr(`${msg}\n`);
const metrics = await serveMetrics("127.0.0.1:0", m, warn);
const tcp = await startDummyTcpServer(0, warn);
writeOut(`${isDeno ? "deno" : "node"} ports ${metrics.port} ${tcp.port}\n`);
