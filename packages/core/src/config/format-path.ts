// Renders a config key path the way users write it: `listeners[0].upstream.password`.

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let rendered = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      rendered += `[${segment}]`;
    } else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) {
      rendered += rendered === '' ? segment : `.${segment}`;
    } else {
      rendered += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return rendered;
}
