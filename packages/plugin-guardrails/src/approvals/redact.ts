// Hides literal secrets (`PASSWORD 'x'`, `IDENTIFIED BY 'x'`, `SECRET 'x'`) in SQL shown to approvers and webhooks.

// A keyword that introduces a secret, then an optional `=` / `WITH` / `AS`, then a quoted literal.
const SECRET_LITERAL =
  /(?<!['"\w])(password|identified\s+(?:with\s+\w+\s+)?by|secret|secret_access_key|api_key|token)(\s*=\s*|\s+(?:as\s+|with\s+)?)(?:[eEnN]?'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]*)\$[\s\S]*?\$\3\$)/gi;

/** The SQL with the literal following a secret keyword replaced by `'***'`. Display only: never used to decide. */
export function redactSecrets(sql: string): string {
  return sql.replace(SECRET_LITERAL, (_match, keyword: string, between: string) => `${keyword}${between}'***'`);
}
