// Boots the console: sign-in, the navigation, and hash routes to one page module each.
import { ApiError, getJson, onUnauthorized } from './api.js';
import { isSignedIn, restore, signOut } from './credential.js';
import { h, replace } from './dom.js';
import { formatGroups } from './format.js';
import { announce } from './components/status.js';
import * as signInPage from './pages/sign-in.js';
import * as sessionsPage from './pages/sessions.js';
import * as approvalsPage from './pages/approvals.js';
import * as auditPage from './pages/audit.js';
import * as recordPage from './pages/audit-record.js';
import * as accessMapPage from './pages/access-map.js';
import * as evidencePage from './pages/evidence.js';

/** Each route: its hash path pattern, the page module, and the nav entry it belongs to. */
const ROUTES = [
  { pattern: /^sessions$/, page: sessionsPage, nav: 'sessions' },
  { pattern: /^approvals$/, page: approvalsPage, nav: 'approvals' },
  { pattern: /^audit$/, page: auditPage, nav: 'audit' },
  { pattern: /^audit\/records\/([^/]+)$/, page: recordPage, nav: 'audit', params: ['id'] },
  { pattern: /^access$/, page: accessMapPage, nav: 'access' },
  { pattern: /^evidence$/, page: evidencePage, nav: 'evidence' },
];

const NAV = [
  { id: 'sessions', label: 'Live sessions' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'audit', label: 'Audit explorer' },
  { id: 'access', label: 'Data access map' },
  { id: 'evidence', label: 'Evidence export' },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');

let me = null;
let unmount = null;

/** `#/audit?user=bob` → { path: 'audit', query: URLSearchParams('user=bob') } */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  return { path: path || 'sessions', query: new URLSearchParams(search) };
}

export function navigate(path, query) {
  const search = query && [...query].length > 0 ? `?${query}` : '';
  location.hash = `#/${path}${search}`;
}

function leavePage() {
  try {
    unmount?.();
  } finally {
    unmount = null;
  }
}

function showSignIn(message) {
  leavePage();
  me = null;
  nav.hidden = true;
  account.hidden = true;
  document.title = 'Sign in · Sluice console';
  unmount = signInPage.mount(main, { message, onSignedIn: signedIn }) ?? null;
}

async function signedIn(identity) {
  me = identity;
  renderShell();
  await route();
}

function renderShell() {
  replace(
    nav,
    h('ul', {}, NAV.map((item) => h('li', {}, h('a', { href: `#/${item.id}`, dataset: { nav: item.id } }, item.label)))),
  );
  const groups = formatGroups(me.groups);
  replace(
    account,
    h(
      'span',
      { class: 'who', 'data-testid': 'signed-in-as' },
      'Signed in as ',
      h('strong', {}, me.name),
      groups ? ` (${groups})` : '',
      h('span', { class: 'auth-method' }, me.auth === 'oidc' ? ' · token' : ' · password'),
    ),
    h('button', { type: 'button', class: 'button secondary small', onclick: () => leave('You are signed out.') }, 'Sign out'),
  );
  nav.hidden = false;
  account.hidden = false;
}

function leave(message) {
  signOut();
  history.replaceState(null, '', location.pathname);
  showSignIn(message);
  announce(message);
}

async function route() {
  if (!me) return;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find(({ m }) => m);
  leavePage();
  if (!match) {
    navigate('sessions');
    return;
  }
  const params = Object.fromEntries((match.r.params ?? []).map((name, i) => [name, decodeURIComponent(match.m[i + 1])]));
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.nav === match.r.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  unmount = match.r.page.mount(main, { me, query, params, navigate }) ?? null;
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'Console'} · Sluice console`;
  heading?.setAttribute('tabindex', '-1');
  heading?.focus({ preventScroll: true });
}

async function start() {
  onUnauthorized(() => {
    if (me) leave('Your sign-in is no longer accepted (expired or revoked). Sign in again.');
  });
  window.addEventListener('hashchange', () => void route());
  if (restore()) {
    try {
      const { identity } = await getJson('/api/whoami');
      await signedIn(identity);
      return;
    } catch (error) {
      signOut();
      if (!(error instanceof ApiError) || error.status !== 401) {
        showSignIn(error.message);
        return;
      }
    }
  }
  if (!isSignedIn()) showSignIn();
}

void start();
