/** A reload that changes a listener says it needs a restart; other changes say it plainly. */
import { assertEquals } from "../../tests/assert.ts";
import { loadServerConfig, type ServerConfig } from "../config/server_conf.ts";
import { LISTENER_VARS, RESTART_VARS, restartWarnings } from "./restart_vars.ts";

const LISTENER =
  " (a new or changed listener needs a restart: the running daemon's network and capture," +
  " and its Deno permissions, were fixed when it started)";

/** fwknopd.conf from these lines. */
async function conf(lines: string): Promise<ServerConfig> {
  const dir = await Deno.makeTempDir({ prefix: "fkts-restart-" });
  try {
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, lines, { mode: 0o600 });
    return loadServerConfig(`${dir}/fwknopd.conf`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("restart: each listener added or moved by a reload is named as needing a restart", async () => {
  const before = await conf("PCAP_INTF eth0;\n");
  const next = await conf(
    "PCAP_INTF eth0,wg0;\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT 62202;\nENABLE_TCP_SERVER Y;\n" +
      "TCPSERV_PORT 62203;\nENABLE_METRICS Y;\nMETRICS_ADDRESS 127.0.0.1:9686;\n" +
      "ENABLE_HTTPS_SERVER Y;\nHTTPS_SERVER_PORT 8443;\n",
  );
  assertEquals(
    restartWarnings(before, next),
    LISTENER_VARS.map((v) =>
      `${v} changed: it takes effect when fwknopd-ts is restarted${LISTENER}`
    ),
  );
});

Deno.test("restart: other start-only variables say so without the listener note", async () => {
  const before = await conf("PCAP_FILTER udp port 62201;\n");
  const next = await conf("PCAP_FILTER udp port 62299;\nENABLE_METRICS N;\n");
  assertEquals(restartWarnings(before, next), [
    "PCAP_FILTER changed: it takes effect when fwknopd-ts is restarted",
  ]);
  // Nothing changed: nothing said.
  assertEquals(restartWarnings(next, next), []);
  // Every listener variable is one that waits for the restart.
  assertEquals(LISTENER_VARS.filter((v) => !RESTART_VARS.includes(v)), []);
});
