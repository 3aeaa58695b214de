import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Actor } from '../../../../src/core/access.ts';
import type { Outcome } from '../../../../src/core/outcomes.ts';
import type { CampaignActionRequest } from '../../../../src/core/request.ts';
import { slackListeners } from '../../../../src/doors/slack/listeners.ts';
import type { HomeReads, Lifecycle, ProposeInput, StepToken } from '../../../../src/lifecycle/contract.ts';
import type { SlackPort } from '../../../../src/slack/port.ts';
import { createMemoryDeduper } from '../../../../src/stores/dedupe.ts';
import { memoryLogger } from '../../../support/fixtures.ts';
import { strict } from '../../../support/strict.ts';

/**
 * The Slack door alone, over a strict fake lifecycle: each test gives the lifecycle only the methods it expects
 * the door to call, and any other call fails loudly. No Bolt app, no HTTP: the door's listeners are called as
 * Bolt calls them.
 */

const REQUEST_ID = 'req-0001-abcd';

function request(over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: REQUEST_ID,
    action: 'PAUSE',
    campaignIds: ['c1', 'c2'],
    reason: undefined,
    requestedBy: 'UALICE',
    channelId: 'CINC',
    source: 'slash_command',
    grants: [{ rule: 'oncall', needed: 1, requesterMayApprove: false }],
    approvals: [],
    createdAt: 0,
    expiresAt: 600_000,
    messageTs: '1700000000.000100',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...over,
  };
}

function door(lifecycle: Partial<Lifecycle>) {
  const told: { channel: string; user: string; text: string }[] = [];
  const outcomes: string[] = [];
  let outcomeSeen = () => {};
  const built = slackListeners(
    strict<Lifecycle>('lifecycle', {
      // Built with the door: the App Home's reads (asked only when a Home is opened) and its subscription to
      // changes (the Homes' redraws), the one call every test expects.
      home: strict<HomeReads>('lifecycle.home', {}),
      onChange: () => () => {},
      ...lifecycle,
    }),
    {
      slack: strict<SlackPort>('slack', {
        postEphemeral: async (channel, user, text) => {
          told.push({ channel, user, text });
        },
      }),
      logger: memoryLogger('debug').logger,
      dedupe: createMemoryDeduper(),
      proposalRules: { maxIds: 50 },
      onCommand: (outcome) => {
        outcomes.push(outcome);
        outcomeSeen();
      },
      timeZone: 'UTC',
      invalidateGroups: () => {
        throw new Error('invalidateGroups was not expected');
      },
    },
  );
  onTestFinished(() => built.close());
  let trigger = 0;

  /**
   * `/campaign <text>` from Alice in #incidents: what the acknowledgement said at once, the door's verdict on the
   * command once its work is done (the metric it counts), and what was told to Alice after it.
   */
  async function command(text: string) {
    let acked: { text?: string } | undefined;
    const replies: string[] = [];
    const counted = new Promise<string>((resolve) => {
      outcomeSeen = () => resolve(outcomes.at(-1) as string);
    });
    let replied: (text: string) => void = () => {};
    const reply = new Promise<string>((resolve) => {
      replied = resolve;
    });
    await built.listeners.campaignCommand({
      command: { text, user_id: 'UALICE', channel_id: 'CINC', trigger_id: `trigger-${++trigger}` },
      ack: async (answer?: { text?: string }) => {
        acked = answer ?? {};
      },
      respond: async (message: { text: string }) => {
        replies.push(message.text);
        replied(message.text);
      },
    } as unknown as SlackCommandMiddlewareArgs & AllMiddlewareArgs);
    return { acked: () => acked, counted, reply, replies };
  }

  /** A click on a confirmation's button by Bob, in #incidents (Confirm or Cancel), answered once it is done. */
  async function click(which: 'confirm' | 'cancel', value = REQUEST_ID) {
    let acked = false;
    await built.listeners[which]({
      ack: async () => {
        acked = true;
      },
      body: {
        user: { id: 'UBOB' },
        channel: { id: 'CINC' },
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'CINC' },
        trigger_id: `trigger-${++trigger}`,
      },
      action: { value },
    } as unknown as SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs);
    return acked;
  }
  return { command, click, told };
}

type Decide = (requestId: string, actor: Actor, seenTs?: string, step?: StepToken) => Promise<Outcome>;

describe('the Slack door over a strict fake lifecycle', () => {
  it('proposes a /campaign command with the parsed ids, reason and schedule, as the person who typed it', async () => {
    const asked: ProposeInput[] = [];
    const { command, told } = door({
      propose: async (input) => {
        asked.push(input);
        return { kind: 'proposed', request: request() };
      },
    });
    const sent = await command('pause c1, c2 group:checkout for 2h reason: INC-42 checkout is down');
    // Acknowledged at once and empty: the confirmation in the channel is the answer.
    expect(sent.acked()).toEqual({});
    expect(await sent.counted).toBe('requested');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      actor: { kind: 'user', id: 'UALICE' },
      action: 'PAUSE',
      ids: ['c1', 'c2', 'group:checkout'],
      reason: 'INC-42 checkout is down',
      channelId: 'CINC',
      origin: { kind: 'slash_command' },
      schedule: { ms: 2 * 3_600_000, text: 'for 2h' },
    });
    // Nothing is told to the person: the confirmation says it all.
    expect(sent.replies).toEqual([]);
    expect(told).toEqual([]);
  });

  it("tells the person a refusal in the policy's words, only to them", async () => {
    const { command } = door({
      propose: async () => ({ kind: 'denied', step: 'propose', part: 'campaign_group', action: 'PAUSE' }),
    });
    const sent = await command('pause group:checkout');
    expect(await sent.reply).toBe(
      'No rule of the access policy lets you request a PAUSE of these campaigns (some are outside the campaign groups you may change).',
    );
    expect(await sent.counted).toBe('denied');
  });

  it('answers help and a typo in the acknowledgement itself, asking the lifecycle nothing', async () => {
    const { command } = door({});
    const help = await command('help');
    expect(help.acked()?.text).toContain('/campaign pause');
    const typo = await command('pause c1 for 2 fortnights');
    expect(typo.acked()?.text).toContain('for 2h');
    expect(help.replies).toEqual([]);
  });

  it('decides a Confirm click as the person who clicked, with the message it was on', async () => {
    const calls: Parameters<Decide>[] = [];
    const { click, told } = door({
      approve: async (...args) => {
        calls.push(args);
        return { kind: 'approval_recorded', request: request(), n: 1, of: 2 };
      },
    });
    expect(await click('confirm')).toBe(true);
    expect(calls).toEqual([[REQUEST_ID, { kind: 'user', id: 'UBOB' }, '1700000000.000100', undefined]]);
    expect(told).toEqual([
      {
        channel: 'CINC',
        user: 'UBOB',
        text: 'Your approval is recorded: 1 of 2. It runs once 1 more approver confirms.',
      },
    ]);
  });

  it('tells the person who clicked Cancel when someone else decided first', async () => {
    const { click, told } = door({
      cancel: async () => ({ kind: 'already_decided', state: 'confirmed', by: 'UCAROL', at: undefined }),
    });
    await click('cancel');
    expect(told).toEqual([
      { channel: 'CINC', user: 'UBOB', text: 'This request was already confirmed by <@UCAROL>.' },
    ]);
  });

  it('refuses a button that carries no request id of ours without asking the lifecycle', async () => {
    const { click, told } = door({});
    await click('confirm', 'not an id!');
    expect(told.map((t) => t.text)).toEqual(['This button does not carry a request I know.']);
  });
});
