// Each recognizer against its positive and negative corpus, with precision and recall printed.
import { afterAll, describe, expect, it } from 'vitest';
import { CORPORA, generatedCards, generatedVersions, ORDINARY, SECRETS } from './corpora.test-data.js';
import { isHighEntropySecret } from './entropy.js';
import { findSensitive } from './index.js';

interface Score {
  type: string;
  tp: number;
  fn: number;
  fp: number;
  tn: number;
}

const scores: Score[] = [];

afterAll(() => {
  const rows = scores.map((s) => ({
    recognizer: s.type,
    positives: s.tp + s.fn,
    negatives: s.fp + s.tn,
    precision: s.tp + s.fp === 0 ? 'n/a' : (s.tp / (s.tp + s.fp)).toFixed(3),
    recall: s.tp + s.fn === 0 ? 'n/a' : (s.tp / (s.tp + s.fn)).toFixed(3),
    'false positives': s.fp,
  }));
  console.log('\nRecognizer precision and recall on the corpora:');
  console.table(rows);
});

describe.each(CORPORA)('$type recognizer', (corpus) => {
  const score: Score = { type: corpus.type, tp: 0, fn: 0, fp: 0, tn: 0 };
  scores.push(score);

  it.each(corpus.positives.map((p) => [p.expect.slice(0, 40), p] as const))('finds %j', (_label, positive) => {
    const hits = findSensitive(positive.text).filter((f) => f.type === corpus.type);
    const exact = hits.some((f) => positive.text.slice(f.start, f.end) === positive.expect);
    if (exact) score.tp++;
    else score.fn++;
    // Nothing of this type beyond the expected value.
    if (hits.length > 1) score.fp += hits.length - 1;
    expect(hits.map((f) => positive.text.slice(f.start, f.end))).toEqual([positive.expect]);
  });

  it.each(corpus.negatives.map((n) => [n.slice(0, 40), n] as const))('finds nothing in %j', (_label, negative) => {
    const hits = findSensitive(negative).filter((f) => f.type === corpus.type);
    if (hits.length === 0) score.tn++;
    else score.fp++;
    expect(hits.map((f) => negative.slice(f.start, f.end))).toEqual([]);
  });
});

describe('ordinary values', () => {
  it.each(ORDINARY)('finds nothing at all in %j', (text) => {
    expect(findSensitive(text)).toEqual([]);
  });
});

describe('overlaps', () => {
  it('reports a card inside JSON once, as a card', () => {
    const text = '{"card":"4111 1111 1111 1111","ip":"10.0.0.1"}';
    expect(findSensitive(text).map((f) => [f.type, text.slice(f.start, f.end)])).toEqual([
      ['card', '4111 1111 1111 1111'],
      ['ip', '10.0.0.1'],
    ]);
  });

  it('prefers the JWT to the digits inside it', () => {
    const text = 'token eyJhbGciOiJIUzI1NiJ9.eyJwaG9uZSI6IjQxNTU1NTI2NzEifQ.c2lnbmF0dXJl';
    expect(findSensitive(text).map((f) => f.type)).toEqual(['jwt']);
  });

  it('recognizes national numbers of the configured regions only', () => {
    expect(findSensitive('020 7946 0958').map((f) => f.type)).toEqual([]);
    expect(findSensitive('020 7946 0958', { phoneRegions: ['GB'] }).map((f) => f.type)).toEqual(['phone']);
  });
});

describe('generated near misses', () => {
  it('finds every generated card and none of its near misses', () => {
    const { positives, negatives } = generatedCards(500);
    const score: Score = { type: 'card (generated)', tp: 0, fn: 0, fp: 0, tn: 0 };
    for (const card of positives) findSensitive(card).some((f) => f.type === 'card' && f.end - f.start === card.length) ? score.tp++ : score.fn++;
    for (const near of negatives) findSensitive(near).some((f) => f.type === 'card') ? score.fp++ : score.tn++;
    scores.push(score);
    expect({ fn: score.fn, fp: score.fp }).toEqual({ fn: 0, fp: 0 });
  });

  it('takes no version string or OID for an IP address', () => {
    const versions = generatedVersions(300);
    const score: Score = { type: 'ip (versions)', tp: 0, fn: 0, fp: 0, tn: 0 };
    const flagged = versions.filter((text) => findSensitive(text).some((f) => f.type === 'ip'));
    score.fp = flagged.length;
    score.tn = versions.length - flagged.length;
    scores.push(score);
    expect(flagged).toEqual([]);
  });
});

describe('high-entropy secrets (for secret/token/key columns)', () => {
  const score: Score = { type: 'secret (entropy)', tp: 0, fn: 0, fp: 0, tn: 0 };
  scores.push(score);

  it.each(SECRETS.positives)('takes %j for a secret', (value) => {
    const hit = isHighEntropySecret(value);
    hit ? score.tp++ : score.fn++;
    expect(hit).toBe(true);
  });

  it.each(SECRETS.negatives)('takes %j for an ordinary value', (value) => {
    const hit = isHighEntropySecret(value);
    hit ? score.fp++ : score.tn++;
    expect(hit).toBe(false);
  });
});
