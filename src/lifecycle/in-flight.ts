/**
 * Work started and not awaited, at most `max` at a time: a sweep hands Slack its edits this way and goes on, so
 * it never holds a batch while Slack paces them, and what waits on Slack stays bounded (`full()` tells the sweep
 * to leave the rest for its next round). Each task's failure is the task's own to log.
 */
export function inFlight(max: number) {
  let running = 0;
  return {
    full: () => running >= max,
    count: () => running,
    start(task: () => Promise<unknown>): void {
      running += 1;
      void task()
        .catch(() => {})
        .finally(() => {
          running -= 1;
        });
    },
  };
}
