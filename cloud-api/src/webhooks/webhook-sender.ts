import type { AlertEvent } from "@lifeline/contracts";
import { renderPayload } from "./alert-payload.ts";
import { parseRetryAfter } from "./retry-backoff.ts";
import { webhookHeaders } from "./webhook-signature.ts";
import type { WebhookSubscriber } from "./webhook-subscriber.ts";

/** How one attempt ended. `error` never contains the URL (it may carry a token) or the secret. */
export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; retryAfterMs: number | null };

export interface SendOptions {
  /** The time the attempt is signed with, ms since the epoch. */
  nowMs: number;
  /** Aborts the request (the dispatcher stopping). */
  signal?: AbortSignal;
  /** Where the receiver reaches Lifeline's API, for links in the Alertmanager format. */
  externalUrl?: string | undefined;
  fetch?: typeof fetch;
}

const MAX_ERROR_BODY = 200;

/**
 * One signed POST of one event. Only a 2xx is success; every other answer, a redirect included
 * (a signed request is not forwarded to wherever a 3xx points), is a failure to retry.
 */
export async function sendWebhook(
  subscriber: Pick<WebhookSubscriber, "id" | "url" | "secret" | "format" | "timeoutMs">,
  event: AlertEvent,
  options: SendOptions,
): Promise<DeliveryResult> {
  const body = JSON.stringify(
    renderPayload(subscriber.format, event, { receiver: subscriber.id, externalUrl: options.externalUrl }),
  );
  const headers = webhookHeaders({
    subscriberId: subscriber.id,
    secret: subscriber.secret,
    eventId: event.id,
    timestampSeconds: Math.floor(options.nowMs / 1000),
    body,
  });
  headers["user-agent"] = "Lifeline-Webhook/1";
  const timeout = AbortSignal.timeout(subscriber.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  try {
    const response = await (options.fetch ?? fetch)(subscriber.url, {
      method: "POST",
      headers,
      body,
      signal,
      redirect: "manual",
    });
    // Read to the end (within the timeout) so that the connection can be reused.
    const text = await response.text();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const detail = text.trim().slice(0, MAX_ERROR_BODY);
    return {
      ok: false,
      status: response.status,
      error: `HTTP ${response.status}${detail === "" ? "" : `: ${detail}`}`,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), options.nowMs),
    };
  } catch (error) {
    const message = timeout.aborted
      ? `no answer within ${subscriber.timeoutMs} ms`
      : options.signal?.aborted
        ? "delivery stopped"
        : networkError(error);
    return { ok: false, status: null, error: message, retryAfterMs: null };
  }
}

/** undici reports "fetch failed" with the reason in `cause` (e.g. `connect ECONNREFUSED 127.0.0.1:8080`). */
function networkError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message !== "") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
