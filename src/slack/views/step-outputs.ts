import type { CampaignActionRequest } from '../../core/request.ts';

/** The Workflow step's outputs; manifest.yml declares exactly these (a test checks). */
export const WORKFLOW_OUTPUTS = [
  'summary',
  'applied_count',
  'failed_count',
  'results',
  'request_id',
] as const;

/**
 * How a settled request finishes the Workflow step that asked for it: outputs once it has run, or the reason it
 * did not (cancelled, expired, crashed). Pure.
 */
export function stepEnd(
  r: CampaignActionRequest,
): { outputs: Record<(typeof WORKFLOW_OUTPUTS)[number], string | number> } | { error: string } {
  const result = r.result;
  if (r.state === 'confirmed' && result) {
    const apart = [
      result.already ? `${result.already} already so` : '',
      result.skipped ? `${result.skipped} not sent (flagged)` : '',
    ].filter(Boolean);
    return {
      outputs: {
        summary: [
          `${result.applied} applied`,
          ...apart,
          `${result.failed} failed`,
          ...(result.uncertain ? [`${result.uncertain} may have been applied (check in MoEngage)`] : []),
        ].join(', '),
        applied_count: result.applied,
        failed_count: result.failed,
        results: result.outcomes
          .map((o) => `${o.campaignId}: ${o.status}${o.error || o.note ? ` — ${o.error ?? o.note}` : ''}`)
          .join('\n'),
        request_id: r.id,
      },
    };
  }
  if (r.state === 'confirmed')
    return { error: 'the run failed before every campaign got a result; see the thread' };
  const by = r.decidedBy && r.decidedBy !== 'system' ? ` by ${r.decidedBy}` : '';
  return { error: `the request was ${r.state}${by}; nothing changed` };
}
