import { afterEach, describe, expect, it } from 'vitest';
import { choosePicked } from '../../src/sandbox/picker-flow.ts';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';
import { LOADING_LABEL, PICKER_BLOCKS } from '../../src/slack/views/picker-view.ts';
import { CHANNEL, type Harness, messageText } from '../support/bot-harness.ts';
import {
  BLACK_FRIDAY,
  catalogWhole,
  hexId,
  initiallyChosen,
  NAMED,
  pickerOf,
  startPickerHarness,
  typeSearch,
  viewText,
} from '../support/picker.ts';

/**
 * The campaign picker end to end: the real bot (signed HTTP, Bolt's receiver) with its catalog on, the Slack
 * simulator's modals, options requests and submissions, and the MoEngage simulator listing named campaigns.
 */
let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  // Every bot method has its scope in manifest.yml (Socket Mode's connection is the app-level token's).
  for (const call of h.slack.calls.filter((c) => c.method !== 'apps.connections.open'))
    expect(Object.keys(SCOPES_BY_METHOD)).toContain(call.method);
  await h.stop();
});

const idsOf = (options: readonly { value: string }[]) => options.map((o) => o.value);

describe.each(['v5', 'v1'] as const)('the picker with MoEngage %s', (apiVersion) => {
  it('finds campaigns by part of a name: command, picker, two keystrokes, submit, confirmation in the channel', async () => {
    h = await startPickerHarness({ apiVersion });
    await catalogWhole(h);
    const moengageBefore = h.moengage.requests.length;

    const ack = await h.command('UALICE', 'pause reason: INC-42 checkout coupon');
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');
    const view = await pickerOf(h, 'UALICE');
    expect(JSON.parse(view.view.private_metadata as string)).toEqual({ channel: CHANNEL });
    expect(viewText(view)).not.toContain('still loading');

    // Two keystrokes past the search's two-letter minimum, each answered from the catalog, well within 3 s.
    const first = await typeSearch(h, view, 'bl');
    const second = await typeSearch(h, view, 'black fri');
    for (const answered of [first, second]) {
      expect(answered.verdict).toBe('answered');
      expect(answered.ms).toBeLessThan(1_000);
    }
    expect(idsOf(second.options).sort()).toEqual([...BLACK_FRIDAY].sort());
    // Live ones first: the paused winback comes last.
    expect(idsOf(second.options).at(-1)).toBe(hexId(4));
    expect(second.options[0]?.text.text).toMatch(/^Black Friday .* · (PUSH|EMAIL) · ACTIVE$/);
    // Not one MoEngage call per keystroke: the catalog answered.
    expect(h.moengage.requests.length).toBe(moengageBefore);

    choosePicked(h.slack, view, [hexId(1), hexId(2)]);
    const submitted = await h.slack.submitView(h.url, { viewId: view.id });
    expect(submitted.verdict).toBe('closed');

    const message = await h.latestMessage();
    const text = messageText(message);
    for (const words of [
      'Pause 2 MoEngage campaigns',
      hexId(1),
      hexId(2),
      'Black Friday teaser',
      '<@UALICE>',
    ]) {
      expect(text).toContain(words);
    }
    expect(h.auditEvents().find((e) => e.event === 'requested')).toMatchObject({
      source: 'slack_picker',
      reason: 'INC-42 checkout coupon',
      channel: CHANNEL,
    });
  });
});

describe('the picker', () => {
  it('shows a refusal on the form’s field, and checks the carried channel again', async () => {
    h = await startPickerHarness({ env: { REQUIRE_REASON_ACTIONS: 'STOP' } });
    await catalogWhole(h);
    await h.command('UALICE', 'stop');
    const view = await pickerOf(h, 'UALICE');
    await typeSearch(h, view, 'cyber');
    choosePicked(h.slack, view, [hexId(5)]);

    const noReason = await h.slack.submitView(h.url, { viewId: view.id });
    expect(noReason.verdict).toBe('errors');
    expect(noReason.errors).toEqual({
      [PICKER_BLOCKS.reason]: 'A STOP needs a reason (e.g. an incident number).',
    });

    // A channel the form did not come from (as a forged private_metadata would say): the policy refuses it.
    const sim = h.slack.view(view.id);
    (sim?.view as Record<string, unknown>).private_metadata = JSON.stringify({ channel: 'CRANDOM' });
    h.slack.typeInput(view.id, { actionId: 'value', blockId: PICKER_BLOCKS.reason, value: 'INC-9' });
    const elsewhere = await h.slack.submitView(h.url, { viewId: view.id });
    expect(elsewhere.verdict).toBe('errors');
    expect(elsewhere.errors?.[PICKER_BLOCKS.campaigns]).toMatch(/channel/);
    expect(h.slack.messages('CRANDOM')).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('offers the campaigns a typed name matched, and proposes the one chosen', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    const ack = await h.command('UALICE', 'pause "black friday" "cyber monday" reason: INC-5');
    expect(ack.body).toBe('');
    const view = await pickerOf(h, 'UALICE');
    expect(viewText(view)).toContain('\\"black friday\\" matches 4 campaigns: choose.');
    const boxes = (
      view.view.blocks as { block_id: string; element: { options: { value: string }[] } }[]
    ).find((b) => b.block_id === PICKER_BLOCKS.candidates);
    expect(idsOf(boxes?.element.options ?? []).sort()).toEqual([...BLACK_FRIDAY].sort());
    // "cyber monday" found one campaign: chosen already.
    expect(initiallyChosen(view)).toEqual([hexId(5)]);
    // Nothing was proposed while the name was ambiguous.
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);

    h.slack.chooseOptions(view.id, {
      actionId: 'value',
      blockId: PICKER_BLOCKS.candidates,
      values: [hexId(3)],
    });
    expect((await h.slack.submitView(h.url, { viewId: view.id })).verdict).toBe('closed');
    const text = messageText(await h.latestMessage());
    expect(text).toContain('Pause 2 MoEngage campaigns');
    expect(text).toContain(hexId(3));
    expect(text).toContain(hexId(5));
    for (const other of [hexId(1), hexId(2), hexId(4)]) expect(text).not.toContain(other);
  });

  it('says it in words when the trigger expired before the picker could open', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    h.slack.failNext('views.open', 'expired_trigger_id', 2);
    await h.command('UALICE', 'pause');
    const first = await h.slack.waitFor(() => h.slack.responses[0], 60_000);
    expect(JSON.stringify(first.body)).toContain('I could not open the campaign picker in time');
    await h.command('UALICE', 'pause "black friday"');
    const second = await h.slack.waitFor(() => h.slack.responses[1], 60_000);
    const listed = JSON.stringify(second.body);
    expect(listed).toContain('matches 4 campaigns');
    expect(listed).toContain(hexId(1));
    expect(h.slack.views()).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('opens nothing for someone outside the policy, and answers their typing with no campaign', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    await h.command('UEVE', 'pause');
    const refusal = await h.slack.waitFor(() => h.slack.responses[0], 60_000);
    expect(JSON.stringify(refusal.body)).toContain('not on the list of people allowed');
    expect(h.slack.views('UEVE')).toEqual([]);

    // Typing into Alice's picker as Eve (a modal is its owner's; Slack would not, the bot must not care).
    await h.command('UALICE', 'pause');
    const view = await pickerOf(h, 'UALICE');
    const typed = await typeSearch(h, view, 'black', 'UEVE');
    expect(typed.verdict).toBe('answered');
    expect(typed.options).toEqual([]);
  });
});

describe('the picker over Socket Mode', () => {
  it('opens, answers the search and takes the submission over the socket as over HTTP', async () => {
    h = await startPickerHarness({
      env: { SLACK_APP_TOKEN: 'xapp-1-ASIM-test-app-token', SLACK_SIGNING_SECRET: '' },
    });
    await catalogWhole(h);
    await h.command('UALICE', 'pause');
    const view = await pickerOf(h, 'UALICE');
    const typed = await typeSearch(h, view, 'cyber');
    expect(typed.verdict).toBe('answered');
    expect(idsOf(typed.options)).toEqual([hexId(5)]);
    choosePicked(h.slack, view, [hexId(5)]);
    expect((await h.slack.submitView(h.url, { viewId: view.id })).verdict).toBe('closed');
    expect(messageText(await h.latestMessage())).toContain(hexId(5));
  });
});

describe('the picker before the catalog is whole', () => {
  // One page listed, then a minute's wait for the next: the named campaigns are not in the copy yet.
  const slow = { pagesPerMinute: 1 };
  const firstPage = (hh: Harness) =>
    hh.slack.waitFor(() => hh.moengage.searchRequests().length >= 1 && hh.moengage.searchRequests(), 60_000);

  it('fills in from MoEngage’s own name search (V5: part of a name), and says the list is still loading', async () => {
    h = await startPickerHarness({ apiVersion: 'v5', ...slow });
    await firstPage(h);
    await h.command('UALICE', 'pause');
    const view = await pickerOf(h, 'UALICE');
    expect(viewText(view)).toContain('still loading');
    const typed = await typeSearch(h, view, 'black fri');
    expect(typed.verdict).toBe('answered');
    expect(typed.ms).toBeLessThan(2_500);
    const answer = typed.json as { option_groups?: { label: { text: string } }[] };
    expect(answer.option_groups?.[0]?.label.text).toBe(LOADING_LABEL);
    expect(idsOf(typed.options).sort()).toEqual([...BLACK_FRIDAY].sort());
    // The same words again within the minute: the live answer is reused, not asked again.
    const searches = h.moengage.searchRequests().length;
    await typeSearch(h, view, 'black fri');
    expect(h.moengage.searchRequests().length).toBe(searches);
  });

  it('fills in from V1’s search by whole names (exact by default, part of a name where it matches so)', async () => {
    h = await startPickerHarness({ apiVersion: 'v1', ...slow });
    await firstPage(h);
    await h.command('UALICE', 'pause');
    const view = await pickerOf(h, 'UALICE');
    expect((await typeSearch(h, view, 'black fri')).options).toEqual([]);
    const whole = await typeSearch(h, view, NAMED[1]?.name as string);
    expect(idsOf(whole.options)).toEqual([hexId(2)]);
    h.moengage.setNameMatch('partial');
    expect(idsOf((await typeSearch(h, view, 'cyber mon')).options)).toEqual([hexId(5)]);
  });
});
