/**
 * Removes an endpoint's secrets from text that came from upstream: a server that echoes the key
 * it refused ("Incorrect API key provided: sk-…") must not carry it into events and errors.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** The values worth redacting: the key and every header value long enough to be a credential. */
export function secretsOf(
  apiKey: string | undefined,
  headers: Readonly<Record<string, string>>,
): string[] {
  const secrets = new Set<string>();
  if (apiKey) secrets.add(apiKey);
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'content-type' && value.length >= 8) secrets.add(value);
  }
  // Longest first, so a key inside a longer header value is not left half-redacted.
  return [...secrets].sort((a, b) => b.length - a.length);
}
