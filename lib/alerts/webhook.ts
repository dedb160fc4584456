/**
 * The webhook: one HTTP POST of the alert's JSON record per event, HTTPS
 * with the runtime's certificate checks, no redirects followed, one time
 * limit per request. The answer is hostile input: only its status is read,
 * and its body is cancelled unread.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import type { AlertRecord } from "./record.ts";

/** The fetch the webhook uses (the global one; tests pass their own). */
export type FetchLike = (url: URL, init: RequestInit) => Promise<Response>;

/** A failed post; `permanent` when trying again would not help (a 4xx answer, a redirect). */
export class WebhookError extends Error {
  readonly permanent: boolean;
  constructor(msg: string, permanent: boolean) {
    super(msg);
    this.name = "WebhookError";
    this.permanent = permanent;
  }
}

/** Answers worth another try: the receiver is busy or timed out. */
const TRANSIENT = new Set([408, 425, 429]);

/**
 * Posts one alert.
 *
 * @param url The webhook.
 * @param rec The alert.
 * @param timeoutMs Limit for the request and its answer's head.
 * @param signal Ends the request early (shutdown).
 * @param fetchFn The fetch to use.
 * @throws {WebhookError} for a non-2xx answer, a timeout or a network error.
 */
export async function postAlert(
  url: URL,
  rec: AlertRecord,
  timeoutMs: number,
  signal?: AbortSignal,
  fetchFn: FetchLike = (u, i) => fetch(u, i),
): Promise<void> {
  const where = `${url.protocol}//${url.host}`;
  const limit = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": `fwknopd-ts/${VERSION}`,
      },
      body: JSON.stringify(rec),
      redirect: "manual",
      signal: signal === undefined ? limit : AbortSignal.any([limit, signal]),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    const why = limit.aborted
      ? `no answer within ${timeoutMs} ms`
      : signal?.aborted
      ? "the daemon is stopping"
      : `${(e as Error).message}${cause === undefined ? "" : `: ${cause}`}`;
    throw new WebhookError(`Cannot post the alert to ${where}: ${why}`, false);
  }
  await res.body?.cancel().catch(() => {});
  if (res.status >= 200 && res.status < 300) return;
  const permanent = res.status < 500 && !TRANSIENT.has(res.status);
  throw new WebhookError(
    `Cannot post the alert to ${where}: the answer was ${res.status}`,
    permanent,
  );
}
