// Evidence export for auditors (GET /api/audit/export): a date range as CSV or as an HTML report with the chain verification.
import { download, saveBlob } from '../api.js';
import { details, field, h, replace } from '../dom.js';
import { dateInputValue, dayEndIso, dayStartIso } from '../format.js';
import { announce, explainAudit, messageArea } from '../components/status.js';

const FORMATS = {
  csv: { label: 'CSV', extension: 'csv', accept: 'text/csv' },
  html: { label: 'HTML report', extension: 'html', accept: 'text/html' },
};

export function mount(main) {
  const messages = messageArea();
  const outcome = h('div', { class: 'export-outcome', 'aria-live': 'polite' });
  const today = new Date();
  const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30);
  const from = h('input', { type: 'date', name: 'from', required: true, value: dateInputValue(monthAgo) });
  const to = h('input', { type: 'date', name: 'to', required: true, value: dateInputValue(today) });
  const environment = h('input', { type: 'search', name: 'environment', autocomplete: 'off' });
  const buttons = Object.entries(FORMATS).map(([format, { label }]) =>
    h('button', { type: 'button', class: `button ${format === 'html' ? 'primary' : 'secondary'}`, dataset: { format }, onclick: () => void exportAs(format) }, `Download ${label}`),
  );

  const exportAs = async (format) => {
    messages.clear();
    if (!from.value || !to.value) return messages.error('Choose the first and the last day.');
    if (from.value > to.value) return messages.error('The first day comes after the last day.');
    for (const button of buttons) button.disabled = true;
    messages.info(`Preparing the ${FORMATS[format].label}…`);
    try {
      const query = { from: dayStartIso(from.value), to: dayEndIso(to.value), format, environment: environment.value.trim() || undefined };
      const file = await download('/api/audit/export', query, FORMATS[format].accept);
      const filename = file.filename ?? `sluice-audit-${from.value}-${to.value}.${FORMATS[format].extension}`;
      saveBlob(file.blob, filename);
      const verification = file.headers.get('x-sluice-verification');
      const count = file.headers.get('x-sluice-record-count');
      replace(
        outcome,
        h(
          'section',
          { class: `card verification ${verification === 'intact' ? 'ok' : verification ? 'bad' : ''}`, 'aria-label': 'Last export' },
          h('h2', {}, verification === 'intact' ? 'Chain verified: intact' : verification === 'tampered' ? 'Chain verification FAILED: tampered' : 'Exported'),
          details([
            ['File', filename],
            ['Range', `${from.value} to ${to.value} (whole days, your local time)`],
            ['Records', count ?? undefined],
            ['Chain verification', verification ?? undefined],
          ]),
        ),
      );
      messages.clear();
      announce(`${filename} downloaded`);
    } catch (error) {
      messages.error(explainAudit(error));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  };

  replace(
    main,
    h('h1', {}, 'Evidence export'),
    h(
      'p',
      { class: 'lead' },
      'The audit trail of a date range for auditors: every record as CSV, or an HTML report with the record count and the result of checking the hash chain (the same check as `sluice audit verify`).',
    ),
    h(
      'form',
      { class: 'filters card', 'aria-label': 'Export range', onsubmit: (event) => event.preventDefault() },
      h('div', { class: 'filter-grid' }, field('First day', from), field('Last day', to, 'Included'), field('Environment', environment, 'Empty: all of them')),
      h('div', { class: 'form-actions' }, buttons),
    ),
    messages.element,
    outcome,
  );
}
