import type { Logger } from 'pino';

/**
 * The Slack door's one error boundary: runs the work after the acknowledgement and tells the person what it
 * produced, or, when it threw, that something went wrong on our side (the error itself goes to the log only).
 * A failure to tell them (an expired or used-up response_url) is logged, never thrown. False when it threw.
 */
export async function guarded(
  log: Logger,
  tell: (text: string) => Promise<unknown>,
  failure: string,
  work: () => Promise<string | undefined>,
): Promise<boolean> {
  let text: string | undefined;
  let ok = true;
  try {
    text = await work();
  } catch (error) {
    ok = false;
    log.error(
      { err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
      'failed after the acknowledgement',
    );
    text = failure;
  }
  if (text !== undefined) {
    await tell(text).catch((error: unknown) =>
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not tell the person'),
    );
  }
  return ok;
}
