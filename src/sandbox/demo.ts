import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { parseAccessPolicy } from '../auth/policy-file.ts';
import { startBot } from '../compose.ts';
import { loadConfig } from '../config.ts';
import { parseHookRules } from '../doors/http/hooks/rules.ts';
import { createLogger } from '../logger.ts';
import { createSlidingLimiter } from '../moengage/limiter.ts';
import { type SimulatorCredentials, simulatorBotEnv } from './bot-env.ts';
import { demoFleet } from './campaigns.ts';
import { startMoEngageSim } from './moengage-sim.ts';
import { renderBlocks, setDisplayNames } from './render.ts';
import { type SimMessage, startSlackSim } from './slack-sim.ts';

/**
 * `npm run demo`: the real bot, no credentials, against the Slack and MoEngage simulators, playing a short
 * incident and printing what people in Slack see and what MoEngage receives.
 */
const CHANNEL = 'CINCIDENT';
/**
 * A demo, said as one on its first line, plays in seconds: the simulators answer at once (no Slack or MoEngage
 * rate limits) and the bot's own paces are lifted to match (its limiters, the per-channel pace of Slack posts,
 * the outbox's poll). Production keeps MoEngage's 10 requests a second and Slack's one post a second a channel,
 * which made the same story take about 25 s; what people see and what MoEngage receives are unchanged.
 */
const DEMO_LIMITS = { perSecond: 1_000, perMinute: 60_000, perHour: 3_600_000 };
const DEMO_TIMINGS = {
  slackRetries: 0,
  sweepMs: 200,
  slackPace: { postsPerSecond: 1_000, burst: 1_000 },
  outbox: { pollMs: 50 },
};
const people = {
  UALICE: 'alice (on call)',
  UBOB: 'bob',
  UCAROL: 'carol (#oncall group)',
  UDAVE: 'dave (#leads group)',
  UEVE: 'eve (intern)',
};
setDisplayNames(
  Object.fromEntries(Object.entries(people).map(([id, name]) => [id, name.split(' ')[0] ?? id])),
);
const credentials: SimulatorCredentials = {
  botToken: 'xoxb-demo-not-a-real-token',
  signingSecret: 'demo-signing-secret-not-a-real-one',
  workspaceId: 'DEMOWORKSPACE',
  apiKey: 'demo-api-key',
};
const RUNBOOK_TOKEN = 'demo-runbook-token-0123456789abcdef0123';

const moengage = await startMoEngageSim({
  workspaceId: credentials.workspaceId,
  apiKey: credentials.apiKey,
  campaigns: demoFleet(),
  // A demo: no rate limits (see DEMO_LIMITS).
  limits: false,
});
const slack = await startSlackSim({
  botToken: credentials.botToken,
  signingSecret: credentials.signingSecret,
  memberChannels: [CHANNEL],
  userGroups: { SONCALL: ['UCAROL'], SLEADS: ['UDAVE'] },
  // A demo: Slack's rate limits off, as the bot's pace below is lifted.
  rateLimits: false,
});
const logDir = mkdtempSync(join(tmpdir(), 'campaign-bot-demo-'));
const logFile = join(logDir, 'bot.log');
const logger = createLogger('info', pino.destination({ dest: logFile, sync: true }));
// The access policy (what ACCESS_POLICY_FILE holds): on-call pauses and resumes; only a lead approves a STOP.
const POLICY = `
rules:
  - name: oncall
    actions: [PAUSE, RESUME]
    requesters: [UALICE, UBOB, SONCALL]
    channels: [${CHANNEL}]
  - name: leads-stop
    actions: [STOP]
    requesters: [UALICE, UBOB, SONCALL]
    approvers: [SLEADS]
    channels: [${CHANNEL}]
  - name: pagerduty
    actions: [PAUSE, RESUME]
    requesters: [token:pagerduty]
    approvers: [UALICE, UBOB, SONCALL]
    channels: [${CHANNEL}]
  - name: pagerduty-webhook
    actions: [PAUSE]
    requesters: [hook:pagerduty]
    approvers: [UALICE, UBOB, SONCALL]
    channels: [${CHANNEL}]
`;
// HOOK_RULES_FILE: PagerDuty's own v3 webhook, when Checkout has an incident, proposes pausing two promos.
const HOOK_SECRET = 'demo-pagerduty-webhook-secret-0123';
const HOOK_RULES = `
rules:
  - name: checkout-down
    source: pagerduty
    match:
      event.event_type: ^incident\\.triggered$
      event.data.service.summary: ^Checkout
    action: PAUSE
    campaigns: [promo_031, promo_032]
    channel: ${CHANNEL}
    reason: "PagerDuty #{{event.data.number}}: {{event.data.title}}"
`;
const config = loadConfig({
  ...simulatorBotEnv({
    ...credentials,
    slackUrl: slack.url,
    moengageUrl: moengage.url,
    allowedUserIds: [],
    allowedChannelIds: [],
  }),
  ALLOWED_USER_IDS: '',
  ALLOWED_CHANNEL_IDS: '',
  ACCESS_POLICY_FILE: '(the POLICY above)',
  RUNBOOK_TOKENS: JSON.stringify([{ name: 'pagerduty', token: RUNBOOK_TOKEN }]),
  HOOK_SECRETS: JSON.stringify({ pagerduty: HOOK_SECRET }),
});
const hookSources = new Set(['pagerduty']);
const policy = parseAccessPolicy(POLICY, {
  groups: new Map(),
  tokenNames: new Set(['pagerduty']),
  hookSources,
});
const hookRules = parseHookRules(HOOK_RULES, hookSources);
// The bot's clock, which the demo moves forward to show a pause for two hours ending (nothing else is faked).
const clock = { offset: 0 };
const bot = await startBot(config, logger, {
  host: '127.0.0.1',
  policy,
  hookRules,
  limiter: createSlidingLimiter({ limits: DEMO_LIMITS }),
  searchLimiter: createSlidingLimiter({ limits: DEMO_LIMITS }),
  timings: DEMO_TIMINGS,
  now: () => Date.now() + clock.offset,
});
const url = `http://127.0.0.1:${bot.port}/slack/events`;
const t0 = Date.now();

const say = (line = '') => console.log(line);
const heading = (text: string) =>
  say(`\n\x1b[1m── ${text} ${'─'.repeat(Math.max(0, 70 - text.length))}\x1b[0m`);
const indent = (lines: string[], prefix = '   │ ') => {
  for (const l of lines) say(`${prefix}${l}`);
};
const name = (id: string) => people[id as keyof typeof people] ?? id;

async function type(userId: string, text: string) {
  say(`\n💬 ${name(userId)} types:  /campaign ${text}`);
  const before = slack.messages(CHANNEL).length;
  const responsesBefore = slack.responses.length;
  const ack = await slack.slashCommand(url, { userId, channelId: CHANNEL, text });
  say(`   (Slack got the bot's acknowledgement in ${ack.ms.toFixed(1)} ms)`);
  const outcome = await slack.waitFor(() =>
    slack.messages(CHANNEL).length > before
      ? { posted: slack.messages(CHANNEL).at(-1) as SimMessage }
      : slack.responses.length > responsesBefore
        ? { refused: slack.responses.at(-1)?.body as { text: string } }
        : (ack.json as { text?: string } | undefined)?.text
          ? { refused: ack.json as { text: string } }
          : undefined,
  );
  if ('refused' in outcome) {
    say(`   only ${name(userId)} sees:`);
    indent(renderBlocks(undefined, outcome.refused?.text ?? ''));
    return undefined;
  }
  say('   the bot posts in #incident (at once), then looks every campaign up in MoEngage and edits it:');
  const looked = await lookedUp(outcome.posted);
  indent(renderBlocks(looked.blocks, looked.text));
  return looked;
}

/** The confirmation once the look before confirming has landed on it. */
function lookedUp(posted: SimMessage): Promise<SimMessage> {
  return slack.waitFor(() => {
    const m = slack.message(CHANNEL, posted.ts);
    return m && !JSON.stringify(m.blocks ?? []).includes('Looking these campaigns up') && m;
  }, 30_000);
}

function click(userId: string, message: SimMessage, button: 'Confirm' | 'Cancel') {
  return press(userId, message, button === 'Confirm' ? 'campaign_confirm' : 'campaign_cancel', button);
}

async function finish(message: SimMessage) {
  const done = await slack.waitFor(() => {
    const m = slack.message(CHANNEL, message.ts);
    const text = JSON.stringify(m?.blocks ?? []);
    return m && /details in the thread|cancelled by|expired/.test(text) && m;
  }, 120_000);
  say('   the message now reads:');
  indent(renderBlocks(done.blocks, done.text));
  const thread = slack.thread(CHANNEL, message.ts);
  if (thread.length > 0) {
    say('   and in its thread the bot replies:');
    for (const reply of thread) indent(renderBlocks(reply.blocks, reply.text), '   │   ↳ ');
  }
}

/**
 * Presses a button on a message or a thread reply (the value it was shown with: a confirmation's on its first
 * version, a result's follow-ups on a later one) and waits until something shows it: an edit of that message, a
 * new post, or an answer to the presser alone (printed).
 */
async function press(userId: string, message: SimMessage, actionId: string, label: string) {
  const value = [...message.versions.map((v) => v.blocks), message.blocks]
    .flatMap((blocks) => blocks ?? [])
    .flatMap((b) => (b.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
    .find((e) => e.action_id === actionId)?.value;
  say(`\n🖱  ${name(userId)} clicks [ ${label} ]`);
  const before = slack.calls.length;
  const ephemerals = slack.ephemerals(userId).length;
  const versions = slack.message(CHANNEL, message.ts)?.versions.length ?? 0;
  await slack.clickButton(url, {
    userId,
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId,
    value: value ?? '',
  });
  await slack.waitFor(
    () =>
      slack.ephemerals(userId).length > ephemerals ||
      (slack.message(CHANNEL, message.ts)?.versions.length ?? 0) > versions ||
      slack.calls.slice(before).some((c) => c.method === 'chat.postMessage'),
  );
  const told = slack.ephemerals(userId)[ephemerals];
  if (told) {
    say(`   only ${name(userId)} sees:`);
    indent(renderBlocks(undefined, told.text ?? ''));
  }
}

/** The newest top-level message once its look (if any) has landed. */
async function newest(before: number): Promise<SimMessage> {
  const posted = await slack.waitFor(() => slack.messages(CHANNEL)[before]);
  return lookedUp(posted);
}

/** A person confirms; the message and thread as they end, and what MoEngage received meanwhile. */
async function confirmAndReport(userId: string, message: SimMessage) {
  const seen = moengage.statusRequests().length;
  await click(userId, message, 'Confirm');
  await finish(message);
  moengageLog(seen);
}

function moengageLog(since: number) {
  const rows = moengage.statusRequests().slice(since);
  say(`\n📡 MoEngage received ${rows.length} request${rows.length === 1 ? '' : 's'}:`);
  for (const r of rows) {
    const at = ((r.at - t0) / 1000).toFixed(2).padStart(6);
    say(
      `   +${at}s  ${r.action} ${String(r.campaignIds?.length ?? 0).padStart(2)} ids  request_id ${r.requestId?.slice(0, 8)}…  → ${r.status} ${r.outcome}`,
    );
  }
}

try {
  say(
    'A demo: the real bot against simulated Slack and MoEngage, sped up (no rate limits, no pacing) to play in seconds.',
  );
  heading('1. Someone outside the allowlist tries');
  await type('UEVE', 'pause promo_001');

  heading('2. Alice pauses 25 misfiring promos; Bob confirms');
  const ids = Array.from({ length: 25 }, (_, i) => `promo_${String(i + 1).padStart(3, '0')}`);
  const pause = await type('UALICE', `pause ${ids.join(' ')}`);
  if (pause) await confirmAndReport('UBOB', pause);

  heading('3. Alice stops three scheduled blasts; only a lead may approve a STOP');
  const stop = await type('UALICE', 'stop blast_001 blast_002 sent_001');
  if (stop) {
    await click('UALICE', stop, 'Confirm');
    await click('UCAROL', stop, 'Confirm');
    await confirmAndReport('UDAVE', stop);
    say('\n   (sent_001 is a one-time campaign already running: the look before confirming flagged it, as');
    say("    MoEngage's V1 API stops only scheduled ones, so Confirm sent the other two alone.)");
  }

  heading('4. A late double click changes nothing');
  if (pause) await click('UCAROL', pause, 'Confirm');

  heading('5. The PagerDuty runbook proposes a pause; a person approves it');
  const body = {
    action: 'PAUSE',
    campaign_ids: ['trigger_001', 'trigger_002'],
    reason: 'INC-4711 checkout down',
    channel_id: CHANNEL,
  };
  say(`\n🤖 the runbook calls POST /api/v1/campaign-actions ${JSON.stringify(body)}`);
  const api = `http://127.0.0.1:${bot.port}/api/v1/campaign-actions`;
  const accepted = await request(api, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${RUNBOOK_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': 'INC-4711-pause',
    },
    body: JSON.stringify(body),
  });
  const resource = (await accepted.body.json()) as { id: string; status: string };
  say(`   → ${accepted.statusCode} ${JSON.stringify({ id: resource.id, status: resource.status })}`);
  const proposed = await lookedUp(await slack.waitFor(() => slack.messages(CHANNEL).at(-1)));
  say('   the bot posts in #incident:');
  indent(renderBlocks(proposed.blocks, proposed.text));
  await confirmAndReport('UBOB', proposed);
  const status = await request(`${api}/${resource.id}`, {
    headers: { authorization: `Bearer ${RUNBOOK_TOKEN}` },
  });
  const final = (await status.body.json()) as { status: string; result: { applied: number; failed: number } };
  say(
    `\n🤖 the runbook polls GET /api/v1/campaign-actions/${resource.id.slice(0, 8)}… → ${final.status}, ${final.result.applied} applied, ${final.result.failed} failed`,
  );

  heading('6. The fix is out: Alice presses Undo on the 25-promo pause');
  if (pause) {
    const before = slack.messages(CHANNEL).length;
    await press('UALICE', slack.message(CHANNEL, pause.ts) as SimMessage, 'campaign_undo', 'Undo: resume 25');
    const undo = await newest(before);
    say('   the bot proposes the inverse, of exactly the 25 it paused, under the same rules:');
    indent(renderBlocks(undo.blocks, undo.text));
    await confirmAndReport('UBOB', undo);
  }

  heading('7. The outage widens: Carol freezes every active email campaign');
  {
    const searches = moengage.requests.filter((r) => r.api === 'v1-search').length;
    const freeze = await type('UCAROL', 'freeze channel:EMAIL reason: INC-4711 email provider down');
    say(
      `   (found by ${moengage.requests.filter((r) => r.api === 'v1-search').length - searches} paged calls to MoEngage's campaign search)`,
    );
    if (freeze) {
      await confirmAndReport('UBOB', freeze);
      await type('UBOB', 'freeze channel:EMAIL');
      say('\n   …the provider recovers:');
      const unfreeze = await type('UCAROL', 'unfreeze channel:EMAIL');
      if (unfreeze) await confirmAndReport('UBOB', unfreeze);
    }
  }

  heading('8. PagerDuty itself calls the bot: a signed v3 webhook proposes a pause; Alice approves');
  {
    const event = {
      event: {
        id: '01DF2V6TQNR4JMKQTX0E58SBQF',
        event_type: 'incident.triggered',
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        data: {
          id: 'Q2PGR0VU2',
          type: 'incident',
          number: 4713,
          title: 'Checkout returns 500s',
          html_url: 'https://acme.pagerduty.com/incidents/Q2PGR0VU2',
          service: { id: 'PF9KMXH', summary: 'Checkout API', type: 'service_reference' },
        },
      },
    };
    const raw = JSON.stringify(event);
    const signature = `v1=${createHmac('sha256', HOOK_SECRET).update(raw).digest('hex')}`;
    say(
      `\n📟 PagerDuty POSTs /api/v1/hooks/pagerduty  (incident.triggered on "Checkout API", X-PagerDuty-Signature: ${signature.slice(0, 12)}…)`,
    );
    const before = slack.messages(CHANNEL).length;
    const deliver = () =>
      request(`http://127.0.0.1:${bot.port}/api/v1/hooks/pagerduty`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-pagerduty-signature': signature,
          'x-webhook-id': 'demo-1',
        },
        body: raw,
      });
    const hook = await deliver();
    const answer = (await hook.body.json()) as { matched?: string[] };
    say(`   → ${hook.statusCode} ${JSON.stringify({ matched: answer.matched })}`);
    const again = await deliver();
    await again.body.dump();
    say(
      `   PagerDuty retries the same delivery → ${again.statusCode}, the same answer; nothing new is posted`,
    );
    const proposed = await newest(before);
    say('   the bot posts in #incident:');
    indent(renderBlocks(proposed.blocks, proposed.text));
    await confirmAndReport('UALICE', proposed);
  }

  heading('9. Alice pauses a noisy promo for 2 hours; it resumes by itself');
  {
    const paused = await type('UALICE', 'pause promo_030 for 2h reason: INC-4712 wrong price');
    if (paused) {
      await click('UBOB', paused, 'Confirm');
      await finish(paused);
      say("\n⏩ (the demo moves the bot's clock 1 h 51 min forward)");
      clock.offset = (2 * 60 - 9) * 60_000;
      const reminder = await slack.waitFor(
        () =>
          slack
            .thread(CHANNEL, paused.ts)
            .find((m) => JSON.stringify(m.blocks).includes('campaign_resume_now')),
        30_000,
      );
      say('   in the thread, ten minutes before:');
      indent(renderBlocks(reminder.blocks, reminder.text), '   │   ↳ ');
      say('\n⏩ (and ten minutes more)');
      const before = slack.messages(CHANNEL).length;
      const seen = moengage.statusRequests().length;
      clock.offset = (2 * 60 + 1) * 60_000;
      const resumed = await slack.waitFor(() => slack.messages(CHANNEL)[before], 30_000);
      say('   the scheduled resume posts its own message, approved when the pause was:');
      await finish(resumed);
      moengageLog(seen);
    }
  }

  say(`\nAudit trail and request logs (JSON, secrets redacted): ${logFile}`);
  say(`The demo played in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
} finally {
  await bot.stop();
  await slack.close();
  await moengage.close();
}
