import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, type Harness, LOOKING_UP, messageText, startHarness } from '../support/bot-harness.ts';

/** Callers get the outcome without polling: callback_url, Prefer: wait, dry_run; and incident, idempotency_key. */
const TOKEN = 'runbook-token-0123456789abcdef0123456789ab';
const AUTO = 'auto-token-fedcba9876543210fedcba98765432';
const TOKENS = JSON.stringify([
  { name: 'runbook', token: TOKEN, actions: ['PAUSE'], channels: [CHANNEL] },
  { name: 'auto', token: AUTO, actions: ['PAUSE'], channels: [CHANNEL], auto_execute: ['PAUSE'] },
]);

let h: Harness;
let receiver: Server | undefined;
afterEach(async () => {
  await h?.stop();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  receiver = undefined;
});

async function post(body: Record<string, unknown>, token = TOKEN, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${h.bot.port}/api/v1/campaign-actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ channel_id: CHANNEL, ...body }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, any>) : {},
  };
}

/** A callback receiver on a free loopback port answering `statuses` in turn (the last one from then on). */
async function callbackReceiver(statuses: number[]) {
  const got: { headers: Record<string, string | string[] | undefined>; body: string; at: number }[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)] ?? 200).end();
    });
  });
  await new Promise<void>((r) => receiver?.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/done`;
  return { url, got };
}

describe('the runbook API: outcomes without polling', () => {
  it('calls the callback once when the run settles, signed with the token key, retried after a 5xx', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, CALLBACK_ALLOW_LOOPBACK: 'on', CAMPAIGN_LOOKUP: 'off' });
    const cb = await callbackReceiver([503, 200]);
    const res = await post({ action: 'PAUSE', campaign_ids: ['camp_001'], callback_url: cb.url }, AUTO);
    expect(res.status).toBe(202);
    await h.slack.waitFor(() => cb.got.length === 2, 10_000);
    const [first, second] = cb.got;
    expect(first?.body).toBe(second?.body);
    const resource = JSON.parse(second?.body ?? '{}');
    expect(resource).toMatchObject({ id: res.json.id, status: 'completed', result: { applied: 1 } });
    const ts = String(second?.headers['x-campaign-bot-timestamp']);
    const key = createHash('sha256').update(AUTO).digest();
    const expected = `v1=${createHmac('sha256', key).update(`v1:${ts}:${second?.body}`).digest('hex')}`;
    expect(second?.headers['x-campaign-bot-signature']).toBe(expected);
    expect(second?.headers['x-campaign-bot-delivery']).toBe(res.json.id);
    await h.slack.waitFor(() =>
      h.log.lines().some((l) => l.msg === 'callback delivered' && l.attempts === 2),
    );
    expect(cb.got).toHaveLength(2);
  });

  it('gives a callback that keeps failing up after five sends, and one that answers 4xx after one', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, CALLBACK_ALLOW_LOOPBACK: 'on', CAMPAIGN_LOOKUP: 'off' });
    const failing = await callbackReceiver([500]);
    await post({ action: 'PAUSE', campaign_ids: ['camp_002'], callback_url: failing.url }, AUTO);
    await h.slack.waitFor(() => h.log.lines().some((l) => l.msg === 'callback not delivered'), 10_000);
    expect(failing.got).toHaveLength(5);
    await new Promise((r) => receiver?.close(r));
    const refusing = await callbackReceiver([410]);
    await post({ action: 'PAUSE', campaign_ids: ['camp_003'], callback_url: refusing.url }, AUTO);
    await h.slack.waitFor(
      () => h.log.lines().filter((l) => l.msg === 'callback not delivered').length === 2,
      10_000,
    );
    expect(refusing.got).toHaveLength(1);
  });

  it('refuses a callback_url that is not HTTPS, or loopback where that is off', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, CAMPAIGN_LOOKUP: 'off' });
    const plain = await post({
      action: 'PAUSE',
      campaign_ids: ['camp_001'],
      callback_url: 'http://example.com/x',
    });
    expect(plain.status).toBe(400);
    expect(plain.json.error.field).toBe('callback_url');
    const loop = await post({
      action: 'PAUSE',
      campaign_ids: ['camp_001'],
      callback_url: 'http://127.0.0.1:9/x',
    });
    expect(loop.json.error.message).toContain('CALLBACK_ALLOW_LOOPBACK');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('holds the answer with Prefer: wait until the request settles, or answers 202 after N', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, CAMPAIGN_LOOKUP: 'off' });
    const done = await post({ action: 'PAUSE', campaign_ids: ['camp_004'] }, AUTO, { prefer: 'wait=10' });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: 'completed', result: { applied: 1 } });
    expect(done.headers['preference-applied']).toBe('wait=10');
    const pending = await post({ action: 'PAUSE', campaign_ids: ['camp_005'] }, TOKEN, {
      prefer: 'respond-async, wait=1',
    });
    expect(pending.status).toBe(202);
    expect(pending.json.status).toBe('pending');
  });

  it('says what a dry run would propose, and posts nothing and calls nothing', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const calls = h.slack.calls.length;
    const res = await post({
      action: 'PAUSE',
      campaign_ids: ['camp_006', 'camp_007'],
      dry_run: true,
      reason: 'INC-9',
    });
    expect(res.status).toBe(200);
    expect(res.json.would_propose).toMatchObject({
      action: 'PAUSE',
      campaign_ids: ['camp_006', 'camp_007'],
      runs_without_approval: false,
      lookup_before_confirming: true,
    });
    expect(res.json.would_propose.rules[0].approvals_needed).toBeGreaterThanOrEqual(1);
    const refused = await post({ action: 'STOP', campaign_ids: ['once_001'], dry_run: true });
    expect(refused.status).toBe(403);
    expect(h.slack.calls.length).toBe(calls);
    expect(h.moengage.requests).toHaveLength(0);
    expect(h.auditEvents().filter((e) => e.event === 'requested')).toHaveLength(0);
  });

  it('shows the incident on the confirmation and in the audit, and takes the Idempotency-Key from the body', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, CAMPAIGN_LOOKUP: 'off' });
    const body = {
      action: 'PAUSE',
      campaign_ids: ['camp_008'],
      incident: { id: 'INC-4711', url: 'https://acme.pagerduty.com/incidents/Q2PGR0VU2' },
      idempotency_key: 'INC-4711-pause',
    };
    const first = await post(body);
    const again = await post(body);
    expect(again.json.id).toBe(first.json.id);
    const message = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL)[0];
      return m && !messageText(m).includes(LOOKING_UP) && m;
    });
    expect(messageText(message)).toContain('<https://acme.pagerduty.com/incidents/Q2PGR0VU2|INC-4711>');
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    expect(h.auditEvents().find((e) => e.event === 'requested')?.incident).toEqual(body.incident);
    const clash = await post(body, TOKEN, { 'idempotency-key': 'something-else' });
    expect(clash.status).toBe(400);
    expect(clash.json.error.field).toBe('idempotency_key');
  });
});
