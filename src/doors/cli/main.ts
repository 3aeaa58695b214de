import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CAMPAIGN_ACTIONS } from '../../core/actions.ts';
import { VERSION } from '../../version.ts';
import { type ActionResource, type Answer, type Client, createClient } from './client.ts';
import { choicesList, failureLine, progressLine, requestedLine, resultTable, summaryLine } from './render.ts';

/** `pause`, `resume`, `stop`: the actions, as the command's first word. */
const ACTION_WORDS = CAMPAIGN_ACTIONS.map((a) => a.toLowerCase());
const COMMANDS = `${ACTION_WORDS.join(', ')} or status`;

/**
 * `campaign-bot pause camp_1 "black friday push" --reason "INC-1234" --channel C0INCIDENT`: asks the bot's runbook
 * API for a campaign action, waits while a person confirms it in Slack and it runs, and exits by how it went (see
 * USAGE).
 */
export const USAGE = `usage: campaign-bot <${ACTION_WORDS.join('|')}> <campaign id, dashboard link or "name">... --channel C... [options]
       campaign-bot <${ACTION_WORDS.join('|')}> --group NAME --channel C... [options]
       campaign-bot status <request id> [--wait] [--json]

  --channel C...         Slack channel where the confirmation is posted (required)
  --name TEXT            a campaign by its name or part of it (repeatable); an argument with a space in it is a
                         name too: campaign-bot pause "black friday push" ... Several matches request nothing
                         and are listed (exit 7); a person confirms what a name found
  --group NAME           a configured campaign group instead of ids
  --reason TEXT          why, e.g. an incident number (some actions require one)
  --requested-by U...    the Slack user the script acts for
  --no-wait              return right after the bot accepts the request
  --wait                 (status) wait until the request is decided and has run
  --timeout SECONDS      how long to wait (default 900)
  --json                 print the final request as JSON instead of a table
  --idempotency-key KEY  reuse a key when a script retries (default: a new UUID per run)
  --url URL              the bot's base URL (default: $CAMPAIGN_BOT_URL)
  --token-file PATH      read the runbook token from a file (default: $CAMPAIGN_BOT_TOKEN_FILE, or the token
                         itself in $CAMPAIGN_BOT_TOKEN)
  --token TOKEN          refused: a token on the command line shows in \`ps\` to every user of the machine;
                         add --insecure-token-arg to allow it anyway
  -V, --version          print the version (the bot's own: its /healthz says which version answers)
  -h, --help             show this help

exit codes: 0 all applied or already so (status: also pending or running)  1 some ids failed, were not sent or may
            have been applied (check those in MoEngage)  2 usage error
            3 refused by the bot  4 cancelled or expired  5 timed out waiting  6 cannot reach the bot
            7 a name matched several campaigns: nothing was requested; they are listed, choose by id`;

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  notRun: 4,
  timeout: 5,
  unreachable: 6,
  choose: 7,
} as const;
const POLL_MS = 1000;

export interface Env {
  url?: string | undefined;
  token?: string | undefined;
  tokenFile?: string | undefined;
  /** Reads a token file (the composition root passes the file system in). */
  readFile?: (path: string) => string;
}
export interface Io {
  out(text: string): void;
  err: { isTTY?: boolean; write(text: string): unknown };
}
interface Common {
  url: string;
  token: string;
  timeoutS: number;
  json: boolean;
  wait: boolean;
}
export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage'; message: string }
  | ({ kind: 'action'; idempotencyKey: string | undefined; body: Parameters<Client['propose']>[0] } & Common)
  | ({ kind: 'status'; id: string } & Common);

const options = {
  channel: { type: 'string' },
  name: { type: 'string', multiple: true },
  group: { type: 'string' },
  reason: { type: 'string' },
  'requested-by': { type: 'string' },
  wait: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  'idempotency-key': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'insecure-token-arg': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Arguments and environment to a command, or what is wrong with them. Flags win over the environment. */
export function parseCommand(argv: string[], env: Env): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    return { kind: 'usage', message: (error as Error).message };
  }
  const { values: v, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (v.help || name === 'help') return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const usage = (message: string) => ({ kind: 'usage', message }) as const;
  if (name === undefined) return usage(`say what to do: ${COMMANDS}`);
  if (v.wait && v['no-wait']) return usage('give --wait or --no-wait, not both');
  const timeoutS = v.timeout === undefined ? 900 : Number(v.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    return usage(`--timeout must be a number of seconds above 0, got "${v.timeout}"`);
  }
  const url = v.url ?? env.url;
  if (v.token !== undefined && !v['insecure-token-arg']) {
    return usage(
      '--token shows the token to anyone who lists processes: use CAMPAIGN_BOT_TOKEN or --token-file (or add --insecure-token-arg)',
    );
  }
  const tokenFile = v['token-file'] ?? (v.token === undefined && !env.token ? env.tokenFile : undefined);
  let token = v.token ?? env.token;
  if (tokenFile !== undefined) {
    try {
      token = (env.readFile ?? unreadable)(tokenFile).trim();
    } catch (error) {
      return usage(
        `cannot read the token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (!url) return usage('no bot URL: set CAMPAIGN_BOT_URL or pass --url');
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
    return usage(`the bot URL must be http(s)://host[:port], got "${url}"`);
  }
  if (!token)
    return usage('no token: set CAMPAIGN_BOT_TOKEN or CAMPAIGN_BOT_TOKEN_FILE, or pass --token-file');
  const common = { url, token, timeoutS, json: v.json ?? false };

  if (name === 'status') {
    if (rest.length !== 1 || !rest[0]) return usage('status takes exactly one request id');
    return { kind: 'status', id: rest[0], ...common, wait: v.wait ?? false };
  }
  const action = CAMPAIGN_ACTIONS.find((a) => a.toLowerCase() === name.toLowerCase());
  if (!action) return usage(`unknown command "${name}": use ${COMMANDS}`);
  const { ids, names } = campaignArguments(rest);
  names.push(...(v.name ?? []).map((n) => n.trim()).filter(Boolean));
  const listed = ids.length + names.length > 0;
  if (listed && v.group !== undefined) return usage('give campaign ids or names, or --group, not both');
  if (!listed && v.group === undefined)
    return usage(`${name} needs campaign ids or --group NAME, or a campaign's name (--name TEXT)`);
  if (!v.channel) return usage('--channel is required: the Slack channel id where people confirm');
  return {
    kind: 'action',
    idempotencyKey: v['idempotency-key'],
    body: {
      action,
      ...(v.group !== undefined
        ? { group: v.group }
        : {
            ...(ids.length > 0 ? { campaign_ids: ids } : {}),
            ...(names.length > 0 ? { campaign_names: names } : {}),
          }),
      ...(v.reason === undefined ? {} : { reason: v.reason }),
      channel_id: v.channel,
      ...(v['requested-by'] === undefined ? {} : { requested_by: v['requested-by'] }),
    },
    ...common,
    wait: !v['no-wait'],
  };
}

/** A MoEngage campaign id (24 hex digits) or a dashboard link: what a list of ids in one argument is made of. */
const ID_OR_LINK = /^([0-9a-f]{24}|https?:\/\/dashboard-\d+\.moengage\.com\S*)$/i;

/**
 * The campaigns the arguments name. An argument in double quotes, or with a space in it (the shell kept it one),
 * is a name, unless it is only MoEngage ids or links (a script's "$IDS"); any other argument is ids and links,
 * split on commas as before. A one-word name needs --name (or literal quotes): alone it reads as an id.
 */
export function campaignArguments(args: readonly string[]): { ids: string[]; names: string[] } {
  const ids: string[] = [];
  const names: string[] = [];
  for (const arg of args) {
    const text = arg.trim();
    const quoted = /^["“„].*["”]$/s.test(text) && text.length >= 2;
    const pieces = text.split(/[\s,]+/).filter(Boolean);
    if (quoted) names.push(text.slice(1, -1).trim());
    else if (/\s/.test(text) && !pieces.every((p) => ID_OR_LINK.test(p))) names.push(text);
    else ids.push(...pieces);
  }
  return { ids, names: names.filter(Boolean) };
}

function unreadable(): string {
  throw Object.assign(new Error('no file system'), { code: 'ENOSYS' });
}

/** 0 all applied, 1 some failed, 4 never ran; still pending or running is 0 (only `status` prints those). */
export function exitCodeFor(r: ActionResource): number {
  // An id not sent (flagged by the lookup) is not in the state asked for either: a runbook must hear of it.
  // An id that may have been applied needs a person to look: a script must not read it as done.
  if (r.status === 'completed') {
    const unsettled = (r.result?.failed ?? 0) + (r.result?.skipped ?? 0) + (r.result?.uncertain ?? 0);
    return unsettled > 0 ? EXIT.failed : EXIT.ok;
  }
  if (r.status === 'cancelled' || r.status === 'expired') return EXIT.notRun;
  return EXIT.ok;
}

const unfinished = (r: ActionResource) => r.status === 'pending' || r.status === 'running';

export async function run(argv: string[], env: Env, io: Io): Promise<number> {
  const cmd = parseCommand(argv, env);
  if (cmd.kind === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (cmd.kind === 'version') {
    io.out(`campaign-bot ${VERSION}`);
    return EXIT.ok;
  }
  if (cmd.kind === 'usage') {
    io.err.write(`campaign-bot: ${cmd.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const client = createClient({ url: cmd.url, token: cmd.token });
  const fail = (answer: Exclude<Answer, { ok: true }>) => {
    io.err.write(`campaign-bot: ${failureLine(answer)}\n`);
    if (answer.kind === 'refused' && answer.choices) {
      io.err.write(`${choicesList(answer.choices, answer.missing ?? [])}\n`);
      return EXIT.choose;
    }
    return answer.kind === 'refused' ? EXIT.refused : EXIT.unreachable;
  };
  const report = (r: ActionResource) =>
    io.out(cmd.json ? JSON.stringify(r, null, 2) : `${resultTable(r)}\n\n${summaryLine(r)}`);

  const follow = async (first: ActionResource): Promise<number> => {
    const progress = progressWriter(io.err);
    const deadline = Date.now() + cmd.timeoutS * 1000;
    let r = first;
    progress.show(progressLine(r));
    while (unfinished(r)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        progress.end();
        report(r);
        io.err.write(
          `campaign-bot: timed out after ${cmd.timeoutS} s with ${r.id} still ${r.status}; ` +
            `follow it with: campaign-bot status ${r.id} --wait\n`,
        );
        return EXIT.timeout;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
      const got = await client.get(r.id);
      if (!got.ok) {
        progress.end();
        return fail(got);
      }
      r = got.resource;
      progress.show(progressLine(r));
    }
    progress.end();
    report(r);
    return exitCodeFor(r);
  };

  try {
    if (cmd.kind === 'status') {
      const got = await client.get(cmd.id);
      if (!got.ok) return fail(got);
      if (cmd.wait && unfinished(got.resource)) return await follow(got.resource);
      report(got.resource);
      return exitCodeFor(got.resource);
    }
    const got = await client.propose(cmd.body, cmd.idempotencyKey ?? randomUUID());
    if (!got.ok) return fail(got);
    // With --json, stdout carries only the JSON.
    const line = requestedLine(got.resource, cmd.wait);
    if (cmd.json) io.err.write(`${line}\n`);
    else io.out(line);
    if (!cmd.wait) {
      if (cmd.json) report(got.resource);
      return EXIT.ok;
    }
    return await follow(got.resource);
  } finally {
    await client.close();
  }
}

/** Overwrites one line in place on a terminal; elsewhere (logs, CI) writes a line per change. */
function progressWriter(err: Io['err']) {
  let last: string | undefined;
  let open = false;
  return {
    show(line: string) {
      if (line === last) return;
      last = line;
      if (err.isTTY) {
        err.write(`\r\x1b[2K${line}`);
        open = true;
      } else err.write(`${line}\n`);
    },
    end() {
      if (open) err.write('\n');
      open = false;
    },
  };
}

/** The entry point: bin/campaign-bot.mjs, the CLI's composition root, reads the environment and passes it in. */
export async function cli(env: Env): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: process.stderr,
  });
}
