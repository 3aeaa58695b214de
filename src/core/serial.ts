/**
 * Runs work one after the other per key (a request's Slack edits in order; a request's store updates from one
 * process without racing each other), and different keys side by side. A failure runs no less of what follows.
 */
export function keyedSerial() {
  const tails = new Map<string, Promise<unknown>>();
  return function serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
