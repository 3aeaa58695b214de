import { EventEmitter } from 'node:events';
import type { ChangeFeed } from './ports.ts';

/** The in-process feed: one process's waiters; the Redis feed (stores/change-feed.ts) fans out through one. */
export function createMemoryChangeFeed(): ChangeFeed {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  return {
    publish: (id) => bus.emit('change', id),
    subscribe(fn) {
      bus.on('change', fn);
      return () => bus.off('change', fn);
    },
    close: async () => {
      bus.removeAllListeners();
    },
  };
}
