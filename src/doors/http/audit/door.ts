import { type AuditExportDeps, createAuditExport } from './export.ts';

/**
 * The audit door's route (`GET /api/v1/audit`, by its name in src/routes.ts), from its part of the config: the
 * runbook tokens (those granted `read_audit` read) and the trail. It reads the trail, not the lifecycle. None
 * without runbook tokens.
 */
export function auditRoutes(
  config: Omit<AuditExportDeps, 'readers'> & { tokens: readonly { name: string; read_audit?: boolean }[] },
): { auditExport?: ReturnType<typeof createAuditExport> } {
  if (!config.auth.configured) return {};
  const { tokens, ...deps } = config;
  const readers = new Set(tokens.filter((t) => t.read_audit).map((t) => t.name));
  return { auditExport: createAuditExport({ ...deps, readers }) };
}
