import type { HookSource } from '../../../../core/sources.ts';
import { alertmanager } from './alertmanager.ts';
import { grafana } from './grafana.ts';
import { incidentio } from './incidentio.ts';
import { moengage } from './moengage.ts';
import { opsgenie } from './opsgenie.ts';
import { pagerduty } from './pagerduty.ts';
import { rootly } from './rootly.ts';
import type { Vendor } from './shared.ts';

export {
  type Headers,
  type NamedSecret,
  notAnObject,
  type Received,
  type Vendor,
  type Verified,
  type VerifyOptions,
} from './shared.ts';

/**
 * The incident tools (and MoEngage's own alerts) whose own webhooks the bot takes (`POST /api/v1/hooks/{source}`), one file each: how it signs,
 * names a delivery and marks events that are not for anyone. Keyed by the one list of sources (core/sources.ts),
 * so a source without a vendor does not compile.
 */
export const VENDORS: Readonly<Record<HookSource, Vendor>> = {
  pagerduty,
  incidentio,
  rootly,
  grafana,
  alertmanager,
  opsgenie,
  moengage,
};
