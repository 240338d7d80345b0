// Holds the signed-in credential: in memory, or in this tab's sessionStorage when the user asks; never in a URL or a cookie.

const STORAGE_KEY = 'sluice.console.credential';

let current = null;

/** A credential is { scheme: 'Basic' | 'Bearer', token }; the token is what goes after the scheme. */
export function basicCredential(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return { scheme: 'Basic', token: btoa(binary) };
}

export function bearerCredential(accessToken) {
  return { scheme: 'Bearer', token: accessToken.trim() };
}

export function authorizationHeader() {
  return current ? `${current.scheme} ${current.token}` : undefined;
}

export function signIn(credential, { rememberInTab = false } = {}) {
  current = credential;
  if (rememberInTab) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  else sessionStorage.removeItem(STORAGE_KEY);
}

export function signOut() {
  current = null;
  sessionStorage.removeItem(STORAGE_KEY);
}

export function isSignedIn() {
  return current !== null;
}

/** Picks up a credential this tab kept across a reload (only when the user ticked the box). */
export function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (saved && (saved.scheme === 'Basic' || saved.scheme === 'Bearer') && typeof saved.token === 'string') current = saved;
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
  }
  return current !== null;
}
