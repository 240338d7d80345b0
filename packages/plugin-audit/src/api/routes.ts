// The audit trail on the admin API: search, one record, the data access map, and the evidence export (CSV, HTML).
import type { KeyObject } from 'node:crypto';
import type { AdminRequest, AdminResponse, AdminRoute } from '@sluice/core';
import { FILTER_OPTIONS, filtersFrom, UsageError, type RecordFilters } from '../cli/filters.js';
import { AccessMapBuilder } from './access-map.js';
import { csvDocument } from './export-csv.js';
import { htmlReport } from './export-html.js';
import { collectRecords, decodeCursor, eachRecord, findRecord, searchPage } from './search.js';
import { trailFiles } from './trail-files.js';
import { verifyTrailFiles } from './verification.js';

export interface AuditApiOptions {
  /** The first file sink's path; the routes answer 409 without one. */
  readonly file: string | undefined;
  /** Groups that may read the audit routes besides admin.groups. */
  readonly groups: readonly string[];
  readonly maxExportRecords: number;
  /** The checkpoint signing key, when configured: exports then check signatures too. */
  readonly signingKey?: KeyObject;
}

const PAGE = { default: 50, max: 500 };
/** The report shows SQL clients typed: it runs no script and loads nothing, whatever that text holds. */
const REPORT_HEADERS = { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", 'x-content-type-options': 'nosniff' };
const FILTER_NAMES = [...Object.keys(FILTER_OPTIONS), 'from', 'to', 'masked'];

type Handler = (request: AdminRequest, file: string) => Promise<AdminResponse>;

export function auditApiRoutes(options: AuditApiOptions): AdminRoute[] {
  const route = (path: string, extra: readonly string[], handler: Handler): AdminRoute => ({
    method: 'GET',
    path,
    access: 'authenticated',
    handle: async (request) => {
      if (!request.isAdmin && !request.identity.groups.some((group) => options.groups.includes(group))) {
        return { status: 403, body: { error: `only admins${options.groups.length > 0 ? ` and members of ${options.groups.join(', ')}` : ''} may read the audit trail` } };
      }
      if (options.file === undefined) return { status: 409, body: { error: 'the audit API needs a file sink' } };
      const unknown = [...request.query.keys()].find((name) => !FILTER_NAMES.includes(name) && !extra.includes(name));
      if (unknown !== undefined) return { status: 400, body: { error: `unknown query parameter ${unknown}` } };
      try {
        return await handler(request, options.file);
      } catch (error) {
        if (error instanceof UsageError) return { status: 400, body: { error: error.message.replace(/^--/, '') } };
        throw error;
      }
    },
  });

  return [
    route('/api/audit', ['limit', 'cursor'], async ({ query }, file) => {
      const limit = integer(query.get('limit'), 'limit', PAGE.default, 1, PAGE.max);
      const cursor = query.get('cursor');
      const before = cursor === null ? undefined : decodeCursor(cursor);
      if (cursor !== null && before === undefined) throw new UsageError('cursor is not one this API gave');
      const page = await searchPage(await trailFiles(file), filtersOf(query), limit, before);
      return { status: 200, body: { records: page.records, ...(page.nextCursor === undefined ? {} : { next_cursor: page.nextCursor }), scanned_files: page.scannedFiles } };
    }),
    route('/api/audit/records/:id', [], async ({ params }, file) => {
      const found = await findRecord(await trailFiles(file), params.id!);
      return found ? { status: 200, body: found } : { status: 404, body: { error: `no record ${params.id}` } };
    }),
    route('/api/audit/access-map', [], async ({ query }, file) => {
      const filters = filtersOf(query);
      const builder = new AccessMapBuilder();
      await eachRecord(await trailFiles(file), filters, (record) => builder.add(record));
      return { status: 200, body: { since: filters.since?.toISOString() ?? null, until: filters.until?.toISOString() ?? null, ...builder.build() } };
    }),
    route('/api/audit/export', ['format'], async ({ query, identity }, file) => {
      const format = query.get('format') ?? 'csv';
      if (format !== 'csv' && format !== 'html') throw new UsageError('format must be csv or html');
      const filters = filtersOf(query);
      const files = await trailFiles(file);
      const { records, truncated } = await collectRecords(files, filters, options.maxExportRecords);
      if (truncated) {
        return { status: 413, body: { error: `more than ${options.maxExportRecords} records match: narrow the range (api.max_export_records)` } };
      }
      const verification = await verifyTrailFiles(files, options.signingKey);
      const name = `sluice-audit-${stamp(filters.since) ?? 'start'}-${stamp(filters.until) ?? 'now'}`;
      const headers = { 'x-sluice-verification': verification.status, 'x-sluice-record-count': String(records.length), 'cache-control': 'no-store' };
      if (format === 'csv') {
        return { status: 200, contentType: 'text/csv; charset=utf-8', body: csvDocument(records), headers: { ...headers, 'content-disposition': `attachment; filename="${name}.csv"` } };
      }
      const html = htmlReport({
        generatedAt: new Date(),
        generatedBy: identity.name,
        ...(filters.since === undefined ? {} : { since: filters.since }),
        ...(filters.until === undefined ? {} : { until: filters.until }),
        filters: Object.fromEntries([...query].filter(([key]) => key !== 'format')),
        verification,
        records,
      });
      return { status: 200, contentType: 'text/html; charset=utf-8', body: html, headers: { ...headers, ...REPORT_HEADERS, 'content-disposition': `inline; filename="${name}.html"` } };
    }),
  ];
}

/** The CLI's filters from query parameters; `from`/`to` are `since`/`until`, `masked=true|false`. */
function filtersOf(query: URLSearchParams): RecordFilters {
  const values: Partial<Record<keyof typeof FILTER_OPTIONS, string>> = {};
  for (const name of Object.keys(FILTER_OPTIONS) as (keyof typeof FILTER_OPTIONS)[]) {
    const value = query.get(name);
    if (value !== null && value !== '') values[name] = value;
  }
  const from = query.get('from');
  const to = query.get('to');
  if (from) values.since ??= from;
  if (to) values.until ??= to;
  const filters = filtersFrom(values);
  const masked = query.get('masked');
  if (masked === null || masked === '') return filters;
  if (masked !== 'true' && masked !== 'false') throw new UsageError('masked must be true or false');
  return { ...filters, masked: masked === 'true' };
}

function integer(text: string | null, name: string, fallback: number, min: number, max: number): number {
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function stamp(date: Date | undefined): string | undefined {
  return date?.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
