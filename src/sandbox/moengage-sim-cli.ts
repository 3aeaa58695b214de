import { parseArgs } from 'node:util';
import { catalogCampaigns } from './campaign-catalog.ts';
import { demoFleet, seedCampaigns } from './campaigns.ts';
import { flowsFromCampaigns } from './flows-sim.ts';
import { startMoEngageSim } from './moengage-sim.ts';

/**
 * `npm run moengage-sim -- --port 4010` runs the simulator alone, e.g. for a staging bot:
 * MOENGAGE_BASE_URL=http://127.0.0.1:4010 MOENGAGE_WORKSPACE_ID=SIMWORKSPACE MOENGAGE_API_KEY=sim-api-key.
 * State and faults are reachable at /_sim/requests, /_sim/campaigns and /_sim/faults (POST a fault, e.g.
 * `{"kind":"status","status":503,"forMs":60000}` for a minute-long 503 storm or `{"kind":"late","ms":11000,
 * "forMs":300000}` for answers that come after the change and after the client's timeout; DELETE clears them),
 * and /_sim/search (PUT `{"enabled":false}`: the account has no campaign search). `--no-search` starts without.
 * `--catalog 20000` seeds a realistic catalog (names, tags, flows) instead of the demo fleet; `--name-match partial`
 * makes V1's search match part of a name (default exact; PUT /_sim/name-match switches it at run time).
 * The catalog's flow steps make its flows (/v5/flows/…; GET or PUT /_sim/flows); `--flows-access read-only|none`
 * starts with a key that may only view them, or an account without them (PUT /_sim/flows-access at run time).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'workspace-id': { type: 'string', default: 'SIMWORKSPACE' },
    'api-key': { type: 'string', default: 'sim-api-key' },
    campaigns: { type: 'string' },
    catalog: { type: 'string' },
    'name-match': { type: 'string', default: 'exact' },
    'flows-access': { type: 'string', default: 'full' },
    'no-limits': { type: 'boolean', default: false },
    'no-search': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const count = values.campaigns === undefined ? undefined : Number(values.campaigns);
if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
  console.error(`--campaigns must be a positive whole number, got "${values.campaigns}"`);
  process.exit(2);
}

const catalog = values.catalog === undefined ? undefined : Number(values.catalog);
if (catalog !== undefined && (!Number.isInteger(catalog) || catalog < 1)) {
  console.error(`--catalog must be a positive whole number, got "${values.catalog}"`);
  process.exit(2);
}
const nameMatch = values['name-match'];
if (nameMatch !== 'exact' && nameMatch !== 'partial') {
  console.error(`--name-match must be exact or partial, got "${nameMatch}"`);
  process.exit(2);
}

const flowsAccess = values['flows-access'];
if (flowsAccess !== 'full' && flowsAccess !== 'read-only' && flowsAccess !== 'none') {
  console.error(`--flows-access must be full, read-only or none, got "${flowsAccess}"`);
  process.exit(2);
}

const campaigns =
  catalog !== undefined
    ? catalogCampaigns({ count: catalog })
    : count === undefined
      ? demoFleet()
      : seedCampaigns({ count });
const sim = await startMoEngageSim({
  workspaceId: values['workspace-id'],
  apiKey: values['api-key'],
  campaigns,
  flows: flowsFromCampaigns(campaigns),
  flowsAccess,
  nameMatch,
  limits: values['no-limits'] ? false : undefined,
  searchEnabled: !values['no-search'],
  port,
  host: values.host,
  onRequest: values.quiet
    ? undefined
    : (r) => {
        // Logged when the response is sent, so the status is known.
        setImmediate(() =>
          console.log(
            `${new Date(r.at).toISOString()} ${r.method} ${r.path} ${r.action ?? '-'} ${r.flowId ? 'flow' : `${r.campaignIds?.length ?? 0} ids`} -> ${r.status ?? '(no answer)'} ${r.outcome}`,
          ),
        );
      },
});
console.log(
  `MoEngage simulator on ${sim.url}  (workspace ${values['workspace-id']}, ${catalog ?? count ?? 'demo fleet of 70'} campaigns)`,
);
console.log(
  `point the bot at it: MOENGAGE_BASE_URL=${sim.url} MOENGAGE_WORKSPACE_ID=${values['workspace-id']}`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
