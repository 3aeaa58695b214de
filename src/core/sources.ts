/**
 * The one list of webhook senders the bot takes (the incident tools, and MoEngage's own Alert Management) (`POST /api/v1/hooks/{source}`): the config's HOOK_SECRETS keys, the
 * route's `{source}`, the OpenAPI enum and the docs are held to it. How each signs is its door's, one file a
 * sender (doors/http/hooks/vendors/, keyed by this list).
 */
export const HOOK_SOURCES = [
  'pagerduty',
  'incidentio',
  'rootly',
  'grafana',
  'alertmanager',
  'opsgenie',
  'moengage',
] as const;
export type HookSource = (typeof HOOK_SOURCES)[number];

export function isHookSource(s: string): s is HookSource {
  return (HOOK_SOURCES as readonly string[]).includes(s);
}

/** Grafana's HMAC headers: both names are the contact point's settings (HOOK_GRAFANA_*_HEADER). */
export interface GrafanaHeaders {
  /** Default `X-Grafana-Alerting-Signature` (Grafana's documented default). */
  signature: string;
  /**
   * Default `X-Grafana-Alerting-Timestamp` (Grafana has no default name; its own tests use this one). When set, a
   * signed delivery must carry it: a signature over the body alone could be replayed once its dedupe record
   * (24 h) is gone. Undefined (`none`): body-only signatures are taken, but not for alerts that began longer ago
   * than that record lasts (see tooOld).
   */
  timestamp: string | undefined;
}

export const GRAFANA_DEFAULTS: GrafanaHeaders = {
  signature: 'X-Grafana-Alerting-Signature',
  timestamp: 'X-Grafana-Alerting-Timestamp',
};
