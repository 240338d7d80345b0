// @ts-check
// statement-counter: counts statements per user; serves the counts on the admin API and as a metric.
import { definePlugin } from '@sluice/core';

export default definePlugin((_options, context) => {
  /** @type {Map<string, { allowed: number, denied: number }>} */
  const counts = new Map();
  // Core always provides metrics (optional in the type only for hand-made contexts). Keep labels few: no user names.
  const total = context.metrics?.counter({ name: 'sluice_statement_counter_total', help: 'Statements by listener and decision', labelNames: ['listener', 'action'] });

  context.registerAdminRoute({
    method: 'GET',
    path: '/api/statement-counts/:user',
    access: 'admin', // the default: only identities in admin.groups
    handle: (request) => {
      const entry = counts.get(request.params.user ?? '');
      return entry ? { status: 200, body: entry } : { status: 404, body: { error: 'no statements from this user' } };
    },
  });

  return {
    name: 'statement-counter',
    // Observe only: onResult runs for every statement, allowed or denied, once it has ended.
    onResult(session, _query, summary) {
      const user = session.identity.name;
      const entry = counts.get(user) ?? { allowed: 0, denied: 0 };
      entry[summary.decision.action === 'allow' ? 'allowed' : 'denied'] += 1;
      counts.set(user, entry);
      total?.inc({ listener: session.listener, action: summary.decision.action });
    },
  };
});
