// Which words announce a secret: a literal or a parameter right after one of them is never recorded.

const SECRET_NAME = /password|passwd|passphrase|(^|_)pass$|^pwd$|secret|token|api_?key|private_?key|access_?key|credential/i;

/** True for `password`, `db_password`, `reset_token`, `api_key`, `client_secret`, … */
export function isSecretName(word: string): boolean {
  return SECRET_NAME.test(word.replace(/^["`[]|["`\]]$/g, ''));
}

/** Inside a string literal: `password=…` in a connection string, `user:pw@` in a URL. */
export function redactSecretsInText(text: string): string {
  return text
    .replace(/\b(password|passwd|pwd|secret|token|api_?key)(\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s;&'"]+)/gi, '$1$2[redacted]')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s/]+@/gi, '$1[redacted]@');
}
