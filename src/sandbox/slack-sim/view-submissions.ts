import type { InteractionKit } from './interaction-kit.ts';
import type { SimView, SlackSim, ViewSubmissionResult } from './types.ts';
import { APP_ID, isRecord, TEAM_DOMAIN, VERIFICATION_TOKEN } from './util.ts';
import { visibleView } from './views.ts';

/**
 * A person presses a modal's submit: the `view_submission` Slack sends (the view's private_metadata and state),
 * and the bot's answer applied as Slack applies it: nothing closes the view, `errors` are shown on input blocks
 * (any other block fails the answer), `update`, `push` (at most 3 views) and `clear`.
 */
export function createViewSubmissions(kit: InteractionKit) {
  const { teamId, views, user, deliver } = kit;
  const submissions: ViewSubmissionResult[] = [];
  const visible = (viewId: string, what: string) => visibleView(views, viewId, what);

  /** Slack's client refuses to submit a modal whose required inputs are empty. */
  const emptyRequired = (v: SimView): string | undefined => {
    for (const block of (v.view.blocks as Record<string, unknown>[]) ?? []) {
      if (block.type !== 'input' || block.optional === true || !isRecord(block.element)) continue;
      const value = v.values[block.block_id as string]?.[String(block.element.action_id)];
      const empty =
        !value ||
        value.value === null ||
        value.value === '' ||
        value.selected_option === null ||
        (Array.isArray(value.selected_options) && value.selected_options.length === 0);
      if (empty) return String(block.block_id);
    }
    return undefined;
  };

  const submitView: SlackSim['submitView'] = async (botUrl, args, sign) => {
    const v = visible(args.viewId, 'submitView');
    if (v.view.submit === undefined)
      throw new Error(`slack-sim: submitView: view ${v.id} has no submit button`);
    for (const [blockId, actions] of Object.entries(args.values ?? {}))
      v.values[blockId] = { ...(v.values[blockId] ?? {}), ...actions };
    const missing = emptyRequired(v);
    if (missing)
      throw new Error(`slack-sim: Slack would not submit view ${v.id}: the required ${missing} is empty`);
    const userId = args.userId ?? v.userId;
    const triggerId = kit.triggers.issue(userId, v.id);
    const payload = {
      type: 'view_submission',
      team: { id: teamId, domain: TEAM_DOMAIN },
      user: user(userId),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: triggerId,
      view: views.json(v),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const res = await deliver(botUrl, payload, sign);
    const result: ViewSubmissionResult = { ...res, viewId: v.id, triggerId, verdict: 'closed', payload };
    if (res.dispatchFailed) result.verdict = 'dispatch_failed';
    else if (res.timedOut) result.verdict = 'timed_out';
    else if (res.status !== 200) result.verdict = 'http_error';
    else Object.assign(result, applyAnswer(v, res.json));
    submissions.push(result);
    return result;
  };

  /** The bot's answer to a submission, applied as Slack applies it (or refused as Slack refuses it). */
  const applyAnswer = (v: SimView, answer: unknown): Partial<ViewSubmissionResult> => {
    if (answer === undefined || (isRecord(answer) && Object.keys(answer).length === 0)) {
      views.close(v, 'submission');
      return { verdict: 'closed' };
    }
    const bad = (problem: string) => ({ verdict: 'invalid' as const, problems: [problem] });
    if (!isRecord(answer)) return bad('[ERROR] the answer must be a JSON object');
    switch (answer.response_action) {
      case 'errors': {
        const errors = answer.errors;
        if (!isRecord(errors) || Object.keys(errors).length === 0)
          return bad('[ERROR] errors must be an object');
        const inputs = new Set(
          ((v.view.blocks as Record<string, unknown>[]) ?? [])
            .filter((b) => b.type === 'input')
            .map((b) => b.block_id),
        );
        for (const [blockId, message] of Object.entries(errors)) {
          // Slack shows errors on input blocks only; naming any other block fails the whole answer.
          if (!inputs.has(blockId)) return bad(`[ERROR] ${blockId} is not an input block of the view`);
          if (typeof message !== 'string') return bad(`[ERROR] the error for ${blockId} must be a string`);
        }
        v.errors = errors as Record<string, string>;
        return { verdict: 'errors', errors: v.errors };
      }
      case 'update':
      case 'push': {
        const checked = views.checked(answer.view);
        if (!checked.ok) return { verdict: 'invalid', problems: problemsOf(checked.answer) };
        if (answer.response_action === 'update') {
          views.replace(v, checked.view, 'response_action:update');
          return { verdict: 'updated' };
        }
        const pushed = views.push(v, checked.view);
        if (pushed === 'push_limit_reached') return bad('[ERROR] push_limit_reached');
        return { verdict: 'pushed', pushedViewId: pushed.id };
      }
      case 'clear':
        views.close(v, 'clear');
        return { verdict: 'cleared' };
      default:
        return bad(`[ERROR] unknown response_action ${String(answer.response_action)}`);
    }
  };

  return { submissions, submitView };
}

function problemsOf(answer: { body: Record<string, unknown> }): string[] {
  const meta = answer.body.response_metadata as { messages?: string[] } | undefined;
  return meta?.messages ?? [String(answer.body.error)];
}
