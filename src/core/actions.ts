/**
 * The three status changes MoEngage's campaign status API takes; every door and rule speaks of these. The
 * `/campaign` and CLI usage are built from this list; the manifest, the OpenAPI file and the docs are held to it by
 * tests (test/unit/manifest.test.ts, openapi.test.ts, words.test.ts).
 */
export const CAMPAIGN_ACTIONS = ['PAUSE', 'RESUME', 'STOP'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

export function isCampaignAction(value: string): value is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(value);
}

/** What an `uncertain` outcome means for the person reading it, in every door. */
export const MAY_HAVE_APPLIED = 'may have been applied: check in MoEngage';

/**
 * What happened to one campaign id; every id of a request gets exactly one of these. `applied`: MoEngage took
 * the change (`confirmed: 'lookup'` when its answer was uncertain and a lookup showed the campaign in the target
 * state). `already`: it was in the target state already (seen before confirming, or after a refusal), which is
 * not a failure. `skipped`: flagged before confirming (unknown, not eligible) and never sent. `uncertain`: sent,
 * but no answer said whether MoEngage applied it (lost answers, an unclear 5xx) and no lookup settled it: it
 * may have been applied; people check in MoEngage, and it is never offered as failed.
 */
export type CampaignOutcome =
  | { campaignId: string; status: 'applied'; requestId: string; attempts: number; confirmed?: 'lookup' }
  | {
      campaignId: string;
      status: 'already';
      requestId: string | undefined;
      attempts: number;
      /** Seen by the lookup before confirming (never sent), or after MoEngage refused the change. */
      seen: 'before' | 'after';
    }
  | {
      campaignId: string;
      status: 'skipped';
      requestId: undefined;
      attempts: 0;
      flag: 'unknown' | 'ineligible';
      reason: string;
    }
  | {
      campaignId: string;
      status: 'failed';
      /** The request the id last went in; undefined when it was never sent (e.g. credentials already refused). */
      requestId: string | undefined;
      attempts: number;
      error: { kind: string; httpStatus: number | undefined; code: string | undefined; message: string };
      /**
       * Records from before the `uncertain` status: a send of it got no answer it could trust (timeout, reset,
       * 5xx), so MoEngage may have applied it. The client now reports such ids as `uncertain`.
       */
      uncertain?: true;
      /** A lookup after the run saw the campaign not in the target state: known not applied. */
      checked?: true;
    }
  | {
      campaignId: string;
      status: 'uncertain';
      /** The request it last went in: a lookup or a person can find it in MoEngage by this. */
      requestId: string;
      attempts: number;
      /** What the last send came to, and why it may have applied all the same. */
      error: { kind: string; httpStatus: number | undefined; code: string | undefined; message: string };
    };
