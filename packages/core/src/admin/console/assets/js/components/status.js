// Messages for the user: a polite announcement for screen readers and visible notices and errors.
import { h, replace } from '../dom.js';

export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick makes screen readers read a repeated message again.
  setTimeout(() => (region.textContent = message), 50);
}

/** A visible message area on a page; `show` replaces what it says. */
export function messageArea() {
  const area = h('div', { class: 'messages' });
  let shown = '';
  // The same message again (a refresh that fails the same way) is left alone, so it is not re-announced.
  const show = (kind, role, message) => {
    if (shown === `${kind}\u0000${message}`) return;
    shown = `${kind}\u0000${message}`;
    replace(area, h('p', { class: `notice ${kind}`, role }, message));
  };
  return {
    element: area,
    error: (message) => show('error', 'alert', message),
    success: (message) => show('success', 'status', message),
    info: (message) => show('info', 'status', message),
    clear() {
      shown = '';
      area.replaceChildren();
    },
    /** Takes an error away once things work again; a success or info message stays. */
    clearError() {
      if (shown.startsWith('error')) this.clear();
    },
  };
}

/** The text to show for a failed API call, with a hint for the usual causes. */
export function explain(error) {
  if (error?.status === 403) return `Not allowed: ${error.message}`;
  if (error?.status === 404) return `Not found: ${error.message}`;
  if (error?.status === 409) return error.message;
  return error?.message ?? String(error);
}

/** Like explain, for the audit routes, which exist only with the audit plugin in the config. */
export function explainAudit(error) {
  if (error?.status === 404 && error.message === 'not found') return 'The audit trail is not available here: the config has no @sluice/plugin-audit.';
  return explain(error);
}
