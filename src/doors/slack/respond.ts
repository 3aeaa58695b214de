import type { Logger } from 'pino';
import type { Deduper } from '../../core/ports.ts';
import { storageUnavailable } from '../../core/storage-errors.ts';
import { errorText } from '../../lifecycle/error-text.ts';
import { RecordedThenFailedError } from '../../lifecycle/errors.ts';

/** What a surface says when its work failed: "I could not {could}: {why}. {unchanged}." */
export interface FailureWords {
  /** What could not be done, as the person asked it: "record your approval". */
  could: string;
  /**
   * What still holds, and what to do, when the work failed before it changed anything (the storage refused the
   * first write, or the single-use claim itself): "Nothing was sent to MoEngage; press Confirm again in a moment".
   */
  unchanged: string;
  /** What to do when the failure is not known to have left everything as it was (a bug): defaults to `unchanged`. */
  unknown?: string;
}

export const STORAGE_DOWN = "the bot's storage is unavailable";

/**
 * The words for a failure after the acknowledgement. The storage being down is said as such, with what holds
 * (nothing changed: every door reaches the storage before it changes anything, and a failure after a recorded
 * decision comes as RecordedThenFailedError, told as what was recorded). Anything else is "on my side", with
 * the surface's cautious advice.
 */
export function failureText(error: unknown, words: FailureWords): string {
  if (error instanceof RecordedThenFailedError) {
    const why = storageUnavailable(error.cause) ? STORAGE_DOWN : 'something went wrong on my side';
    return error.recorded === 'approval'
      ? `Your approval is recorded, but I could not update the message: ${why}. Do not press Confirm again; the request goes on as recorded.`
      : `The request is cancelled and nothing will be sent, but I could not update the message: ${why}. Its buttons may still show; they no longer do anything.`;
  }
  if (storageUnavailable(error)) return `I could not ${words.could}: ${STORAGE_DOWN}. ${words.unchanged}.`;
  return `I could not ${words.could}: something went wrong on my side (the details are in the bot's log). ${words.unknown ?? words.unchanged}.`;
}

/**
 * The Slack door's one error boundary: runs the work after the acknowledgement and tells the person what it
 * produced, or, when it threw, what could not be done and what holds (failureText); the error itself goes to the
 * log only. A failure to tell them (an expired or used-up response_url) is logged, never thrown. False when it
 * threw.
 */
export async function guarded(
  log: Logger,
  tell: (text: string) => Promise<unknown>,
  words: FailureWords,
  work: () => Promise<string | undefined>,
): Promise<boolean> {
  let text: string | undefined;
  let ok = true;
  try {
    text = await work();
  } catch (error) {
    ok = false;
    const down = storageUnavailable(error instanceof RecordedThenFailedError ? error.cause : error);
    log.error(
      { err: errorText(error), ...(down ? { code: down.code, store: down.store, reason: down.reason } : {}) },
      'failed after the acknowledgement',
    );
    text = failureText(error, words);
  }
  if (text !== undefined) {
    await tell(text).catch((error: unknown) =>
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not tell the person'),
    );
  }
  return ok;
}

/**
 * Whether this delivery is the first (a repeat is dropped). When the deduper's storage is down the delivery is
 * handled anyway: a click is still decided by the lifecycle, whose single-use claim is the real guard (a repeat
 * is told "already confirmed"), and a command or step then meets the same storage and is told so. Other errors
 * are thrown to the boundary.
 */
export async function firstDelivery(dedupe: Deduper | undefined, key: string, log: Logger): Promise<boolean> {
  if (!dedupe) return true;
  try {
    return await dedupe.firstTime(key);
  } catch (error) {
    const down = storageUnavailable(error);
    if (!down) throw error;
    log.warn({ key, code: down.code, reason: down.reason }, 'repeated deliveries not checked: storage down');
    return true;
  }
}
