// Runs a load function now and then every few seconds, pausing while a dialog is open or the tab is hidden.
import { dialogOpen } from './dialog.js';
import { h } from '../dom.js';
import { formatClock } from '../format.js';

/**
 * Returns the toolbar (auto-refresh switch, refresh button, last-updated time) and a stop function.
 * `load` must resolve when the page shows fresh data.
 */
export function autoRefresh(load, { everyMs = 3000, label = 'Auto-refresh' } = {}) {
  const updated = h('span', { class: 'updated' });
  const toggle = h('input', { type: 'checkbox', checked: true });
  const refreshButton = h('button', { type: 'button', class: 'button secondary' }, 'Refresh now');
  let inFlight = null;
  let again = false;
  let stopped = false;
  /** One load at a time; a request for fresh data during a load runs one more load after it. */
  const run = () => {
    if (stopped) return Promise.resolve();
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          try {
            await load();
            updated.textContent = `Updated ${formatClock()}`;
          } catch {
            updated.textContent = `Update failed at ${formatClock()}`;
          }
        } while (again && !stopped);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };
  refreshButton.addEventListener('click', () => void run());
  const timer = setInterval(() => {
    if (toggle.checked && !dialogOpen() && document.visibilityState === 'visible') void run();
  }, everyMs);
  void run();
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('label', { class: 'switch' }, toggle, ` ${label} every ${Math.round(everyMs / 1000)} s`),
    refreshButton,
    updated,
  );
  return {
    toolbar,
    refresh: run,
    /** Turns auto-refresh off, visibly; the user may turn it on again or refresh by hand. */
    pause() {
      toggle.checked = false;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
