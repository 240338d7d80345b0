// @ts-check
// Finds the comments of a SQL string, skipping quoted text, so a ticket written inside a string literal does not count.

/**
 * The text of every comment in `sql` (`/* … *\/` and `-- …`, and MySQL's `# …`), in order.
 * Quoted text is skipped: '…' (with '' or \' inside), "…", `…`, and per dialect SQL Server's […]
 * and PostgreSQL's $tag$…$tag$. Where this reading and the server's could differ (a backslash
 * before a quote), it stays inside the string longer: a comment may be missed, never invented.
 * @param {string} sql
 * @param {string} [dialect] postgres, mysql or mssql; without one, every form is recognized
 * @returns {string[]}
 */
export function sqlComments(sql, dialect) {
  const hashComments = dialect === undefined || dialect === 'mysql';
  const brackets = dialect === undefined || dialect === 'mssql';
  const dollarQuotes = dialect === undefined || dialect === 'postgres';
  const comments = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    const next = sql[i + 1];
    if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      comments.push(sql.slice(i + 2, end === -1 ? sql.length : end));
      i = end === -1 ? sql.length : end + 2;
    } else if ((char === '-' && next === '-') || (char === '#' && hashComments)) {
      const from = char === '#' ? i + 1 : i + 2;
      const end = sql.indexOf('\n', from);
      comments.push(sql.slice(from, end === -1 ? sql.length : end));
      i = end === -1 ? sql.length : end + 1;
    } else if (char === "'" || char === '"' || char === '`') {
      i = skipQuoted(sql, i, char);
    } else if (char === '[' && brackets) {
      const end = sql.indexOf(']', i + 1);
      i = end === -1 ? sql.length : end + 1;
    } else if (char === '$' && dollarQuotes) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? sql.length : end + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return comments;
}

/**
 * @param {string} sql
 * @param {number} start index of the opening quote
 * @param {string} quote
 */
function skipQuoted(sql, start, quote) {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === '\\' && quote === "'") {
      i += 2;
    } else if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2; // a doubled quote stands for itself
    } else {
      i++;
    }
  }
  return sql.length;
}
