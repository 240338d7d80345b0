// Sorts a refused connection's reason into the few classes the refused-connections counter is labelled with.

export type RefusalClass = 'authentication' | 'protocol' | 'tls' | 'mapping' | 'denied' | 'other';

/**
 * Drivers report refusals as readable reasons; the class is read from their wording. Anything not
 * recognised is `other`, so a new wording costs a label, not a wrong count.
 */
export function refusalClass(reason: string): RefusalClass {
  const text = reason.toLowerCase();
  if (/protocol violation|malformed|invalid .*message|unsupported (frontend )?protocol|startup packet|expected .*, got/.test(text)) return 'protocol';
  if (/\btls\b|\bssl\b|certificate/.test(text)) return 'tls';
  if (/maps? to no|no upstream|upstream login|set_role|may not set the role/.test(text)) return 'mapping';
  if (/password|authentication|credential|token|access denied|login failed|unknown user|not allowed to log in|no such user|user .* (does not exist|unknown)|sasl|scram/.test(text)) return 'authentication';
  return 'other';
}
