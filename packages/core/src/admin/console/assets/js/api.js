// Calls the admin JSON API with the signed-in credential in the Authorization header.
import { authorizationHeader } from './credential.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

const listeners = new Set();

/** Called with no arguments whenever the API answers 401 (the credential expired or was revoked). */
export function onUnauthorized(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function urlOf(path, query) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  return url;
}

async function send(method, path, { query, body, accept = 'application/json' } = {}) {
  const headers = { accept };
  const authorization = authorizationHeader();
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(urlOf(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // No ambient credentials: no cookies, and no browser password prompt on a 401.
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'The admin API cannot be reached.');
  }
  if (response.ok) return response;
  const message = await errorMessage(response);
  if (response.status === 401) for (const listener of listeners) listener();
  throw new ApiError(response.status, message);
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: fall through
  }
  return `${response.status} ${response.statusText}`.trim();
}

export async function getJson(path, query) {
  return (await send('GET', path, { query })).json();
}

export async function postJson(path, body) {
  const response = await send('POST', path, { body });
  return response.status === 204 ? undefined : response.json();
}

export async function del(path) {
  await send('DELETE', path);
}

/** Fetches a file (CSV, HTML report) with the credential; the caller saves it with saveBlob. */
export async function download(path, query, accept = '*/*') {
  const response = await send('GET', path, { query, accept });
  return { blob: await response.blob(), headers: response.headers, filename: filenameOf(response.headers.get('content-disposition')) };
}

function filenameOf(disposition) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]).replace(/[/\\]/g, '_');
  } catch {
    return match[1].replace(/[/\\]/g, '_');
  }
}

/** Hands a blob to the browser as a download. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The segment of a path, encoded (ids come from the server and could hold anything). */
export function segment(value) {
  return encodeURIComponent(String(value));
}
