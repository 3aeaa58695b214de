/**
 * How many long polls (`GET …/{id}?wait=N`, `Prefer: wait=N`, an agent's `get_request` with `wait_seconds`) may
 * wait at once: per token and in all; each HTTP door keeps its own gate. A wait
 * past either bound is not refused: it is answered at once with the state as it is, as if its wait had run out,
 * so a runbook that polls too eagerly gets its answers sooner, never an error, and cannot hold the sockets
 * Slack's requests need (issue 19: 300 long polls of one token locked slash commands out).
 */
export interface WaitLimits {
  perToken: number;
  total: number;
}

export const DEFAULT_WAIT_LIMITS: WaitLimits = { perToken: 10, total: 100 };

export function createWaitGate(limits: WaitLimits = DEFAULT_WAIT_LIMITS) {
  const byToken = new Map<string, number>();
  let total = 0;
  return {
    /** A place to wait for `token`, with its release; undefined when either bound is reached. */
    enter(token: string): (() => void) | undefined {
      const mine = byToken.get(token) ?? 0;
      if (mine >= limits.perToken || total >= limits.total) return undefined;
      byToken.set(token, mine + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byToken.get(token) ?? 1) - 1;
        if (left > 0) byToken.set(token, left);
        else byToken.delete(token);
      };
    },
    waiting: () => ({ total, byToken: Object.fromEntries(byToken) }),
  };
}

export type WaitGate = ReturnType<typeof createWaitGate>;
