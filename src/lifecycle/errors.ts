/**
 * A decision was recorded (an approval counted, a cancel claimed) and a step after it failed (telling Slack, a
 * store write of what to show). The decision stands, so a door must not say that nothing changed: it says what
 * was recorded and what may not show yet. `cause` is the failure (a StorageUnavailableError, or anything).
 */
export class RecordedThenFailedError extends Error {
  readonly code = 'recorded_then_failed';
  readonly recorded: 'approval' | 'cancel';
  constructor(recorded: 'approval' | 'cancel', cause: unknown) {
    super(`the ${recorded} was recorded, then a later step failed`, { cause });
    this.name = 'RecordedThenFailedError';
    this.recorded = recorded;
  }
}

/** Runs a step that comes after a recorded decision; its failure becomes a RecordedThenFailedError. */
export async function afterRecorded<T>(recorded: 'approval' | 'cancel', step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new RecordedThenFailedError(recorded, error);
  }
}
