import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

const READER = 'auditor-token-0123456789abcdef0123456789ab';
const WRITER = 'runbook-token-fedcba9876543210fedcba987654';
const TOKENS = JSON.stringify([
  { name: 'auditor', token: READER, actions: ['PAUSE'], channels: [CHANNEL], read_audit: true },
  { name: 'runbook', token: WRITER, actions: ['PAUSE'], channels: [CHANNEL] },
]);

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

async function get(query: string, token?: string, accept = 'application/json') {
  const res = await request(`http://127.0.0.1:${h.bot.port}/api/v1/audit${query}`, {
    headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

/** camp_001 paused (confirmed, run), camp_002 asked and cancelled: two requests in the trail. */
async function twoRequests() {
  await h.command('UALICE', 'pause camp_001 reason: =HYPERLINK("http://evil") INC-4');
  const first = await h.latestMessage();
  await h.click('UBOB', first, 'campaign_confirm');
  await h.slack.waitFor(() =>
    messageText(h.slack.message(CHANNEL, first.ts) ?? first).includes('details in the thread'),
  );
  await h.command('UBOB', 'pause camp_002');
  const second = await h.slack.waitFor(() => {
    const m = h.slack.messages(CHANNEL)[1];
    return m && !messageText(m).includes('Looking these') && m;
  });
  await h.click('UBOB', second, 'campaign_cancel');
  await h.slack.waitFor(() =>
    messageText(h.slack.message(CHANNEL, second.ts) ?? second).includes('cancelled'),
  );
}

describe('GET /api/v1/audit', () => {
  it('exports the requests as JSON and CSV, filtered by campaign and time, for a token granted read_audit', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    await twoRequests();
    // Both land in the trail before the export reads it (appends are not awaited by the lifecycle).
    await h.slack.waitFor(async () => {
      const r = await get('', READER);
      return JSON.parse(r.text).requests?.length === 2;
    });
    const all = JSON.parse((await get('?since=1h', READER)).text);
    expect(all.requests.map((r: { campaign_ids: string[] }) => r.campaign_ids[0])).toEqual([
      'camp_002',
      'camp_001',
    ]);
    const one = JSON.parse((await get('?campaign_id=camp_001', READER)).text);
    expect(one.requests).toHaveLength(1);
    expect(one.requests[0]).toMatchObject({
      action: 'PAUSE',
      channel_id: CHANNEL,
      requested_by: 'UALICE',
      confirmed_by: 'UBOB',
      outcome: 'completed',
      applied: 1,
      failed: 0,
      campaign_ids: ['camp_001'],
    });
    const cancelled = JSON.parse((await get('?campaign_id=camp_002,camp_404', READER)).text).requests[0];
    expect(cancelled).toMatchObject({ outcome: 'cancelled', ended_by: 'UBOB' });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(JSON.parse((await get(`?since=${future}`, READER)).text).requests).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(JSON.parse((await get(`?since=2h&until=${past}`, READER)).text).requests).toEqual([]);

    const csv = await get('?campaign_id=camp_001', READER, 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    const [header, row, end] = csv.text.split('\r\n');
    expect(header).toBe(
      'request_id,action,channel_id,requested_by,requested_at,reason,campaign_ids,approved_by,confirmed_by,outcome,ended_at,ended_by,applied,failed',
    );
    expect(row).toContain(',PAUSE,CINCIDENT,UALICE,');
    // A reason a spreadsheet would run as a formula is defused, and quoted where it holds a quote.
    expect(row).toContain(`"'=HYPERLINK(""http://evil"") INC-4"`);
    expect(row).toMatch(/,camp_001,UBOB,UBOB,completed,[^,]+,,1,0$/);
    expect(end).toBe('');
  });

  it('refuses a token without read_audit, no token, and a bad time, naming what is wrong', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const writer = await get('', WRITER);
    expect(writer.status).toBe(403);
    expect(JSON.parse(writer.text).error.message).toContain('not granted read_audit');
    expect((await get('')).status).toBe(401);
    const bad = await get('?since=yesterday', READER);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.field).toBe('since');
    expect(JSON.stringify(h.auditEvents())).not.toContain(READER);
  });
});
