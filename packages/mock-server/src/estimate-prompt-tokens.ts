/** Tokens added per message for role and separators, as OpenAI's chat format roughly does. */
export const TOKENS_PER_MESSAGE = 4;
/** Tokens that prime the assistant's reply. */
export const TOKENS_PER_REPLY = 3;
/** What one image costs (OpenAI's low-detail price), whatever its size. */
export const TOKENS_PER_IMAGE = 85;

/**
 * Prompt tokens of one message: `ceil(chars / 4)` of its text (role, name, content parts, tool call
 * arguments) plus {@link TOKENS_PER_MESSAGE}; images cost {@link TOKENS_PER_IMAGE}. The mock plays the
 * "real server", so this is the count it reports in `usage.prompt_tokens` and checks against the
 * context window; a client's own estimate is expected to differ a little.
 */
export function estimateMessageTokens(message: unknown): number {
  let chars = 0;
  let images = 0;
  const add = (value: unknown): void => {
    if (typeof value === 'string') chars += value.length;
  };
  if (typeof message === 'object' && message !== null) {
    const m = message as Record<string, unknown>;
    add(m.role);
    add(m.name);
    if (typeof m.content === 'string') add(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content) {
        if (typeof part !== 'object' || part === null) continue;
        const p = part as Record<string, unknown>;
        if (p.type === 'image_url' || p.type === 'input_audio' || p.type === 'file') images++;
        else add(p.text);
      }
    }
    if (Array.isArray(m.tool_calls)) add(JSON.stringify(m.tool_calls));
  }
  return Math.ceil(chars / 4) + images * TOKENS_PER_IMAGE + TOKENS_PER_MESSAGE;
}

/** Prompt tokens of a whole request: its messages plus the reply priming. */
export function estimatePromptTokens(messages: readonly unknown[]): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) total += estimateMessageTokens(message);
  return total;
}
