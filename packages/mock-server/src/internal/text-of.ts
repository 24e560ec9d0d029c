/** The text of message content: a string, or the `text` of its parts joined by newlines. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    const value = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : 0;
    if (typeof value === 'string') text += (text ? '\n' : '') + value;
  }
  return text;
}
