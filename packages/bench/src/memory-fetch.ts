/**
 * A `fetch` that answers every call at once, in memory, with one canned `ChatCompletion` ("ok", one
 * output token): what is left of a call's time is the client's own work.
 *
 * @param promptTokens `usage.prompt_tokens` of the canned completion, so the router's accounting sees
 * a prompt of the size the benchmark sends.
 */
export function memoryFetch(promptTokens: number): () => Promise<Response> {
  const completionJson = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'small',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'ok', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: 1, total_tokens: promptTokens + 1 },
  });
  return async () =>
    new Response(completionJson, { status: 200, headers: { 'content-type': 'application/json' } });
}
