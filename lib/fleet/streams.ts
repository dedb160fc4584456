/**
 * The fleet's Redis keys: one stream per group for grants, one fleet-wide
 * stream for revocations, and each gateway's position in each stream.
 *
 * @module
 */

/** The stream of a group's grants. */
export function groupStream(fleet: string, group: string): string {
  return `fwknop:${fleet}:grants:${group}`;
}

/** The fleet-wide stream of revocations. */
export function revokeStream(fleet: string): string {
  return `fwknop:${fleet}:revoke`;
}

/** Where a gateway keeps its position in a stream. */
export function positionKey(fleet: string, gateway: string, stream: string): string {
  return `fwknop:${fleet}:pos:${gateway}:${stream}`;
}

/** The group of a group stream, or `undefined` for any other key. */
export function streamGroup(fleet: string, stream: string): string | undefined {
  const prefix = `fwknop:${fleet}:grants:`;
  return stream.startsWith(prefix) ? stream.slice(prefix.length) : undefined;
}

/** A stream id as Redis writes it (`1700000000000-0`): two decimal numbers. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** Whether a text is a stream id. */
export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

/** Compares two stream ids (negative, 0 or positive). */
export function compareIds(a: string, b: string): number {
  const [, am, as] = STREAM_ID.exec(a) ?? [, "0", "0"];
  const [, bm, bs] = STREAM_ID.exec(b) ?? [, "0", "0"];
  const d = BigInt(am!) - BigInt(bm!);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as!) - BigInt(bs!);
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}

/** Milliseconds of a stream id (`1700000000000-0`). */
export function idMs(id: string): number {
  return Number(id.split("-")[0]);
}
