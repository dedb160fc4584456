/**
 * The server-wide settings the receive pipeline reads (from fwknopd.conf
 * and the command line).
 *
 * @module
 */

/** Server-wide settings the pipeline needs. */
export interface PolicyOptions {
  /** `-t`: decode and check everything, change nothing. */
  test: boolean;
  /** ENABLE_SPA_PACKET_AGING and MAX_SPA_PACKET_AGE. */
  aging: boolean;
  maxAge: number;
  /** ENABLE_SPA_OVER_HTTP, ALLOW_ANY_USER_AGENT, ENABLE_X_FORWARDED_FOR. */
  http: boolean;
  anyUserAgent: boolean;
  xForwardedFor: boolean;
  /** ENABLE_IPT_FORWARDING and ENABLE_IPT_LOCAL_NAT. */
  natForwarding: boolean;
  natLocal: boolean;
  /** ENABLE_DIGEST_PERSISTENCE. */
  replay: boolean;
  /** ENABLE_DESTINATION_RULE: grants match the packet's destination. */
  destinationRule?: boolean;
  /** SNAT_TRANSLATE_IP with ENABLE_IPT_SNAT (FORCE_SNAT wins). */
  snatTranslateIp?: string;
  /** FLEET_CLOCK_SKEW: the largest clock difference between gateways (fleet mode), seconds. */
  clockSkew?: number;
  /** SUDO_EXE, for ENABLE_CMD_SUDO_EXEC. */
  sudoExe?: string;
}

/** fwknopd.conf's defaults for the pipeline (aging on at 120 s, replay cache on, no NAT, no HTTP). */
export const POLICY_DEFAULTS: Readonly<PolicyOptions> = {
  test: false,
  aging: true,
  maxAge: 120,
  http: false,
  anyUserAgent: false,
  xForwardedFor: false,
  natForwarding: false,
  natLocal: false,
  replay: true,
};
